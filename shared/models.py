"""Statuses and values shared by the worker, the command line and the terminal UI."""

from __future__ import annotations

from enum import StrEnum


class OrgState(StrEnum):
    """Where an organization is in its onboarding."""

    #: the token is being checked and its companies discovered
    VALIDATING = "validating"
    #: the token reaches several companies: an operator picks one
    CHOOSE_COMPANY = "choose_company"
    #: the ledger is being imported
    SYNCING = "syncing"
    #: every year is imported and reconciled
    SYNCED = "synced"
    #: something needs a person: see `state_reason` and the checks
    NEEDS_ATTENTION = "needs_attention"
    #: an operator stopped the sync; it resumes where it stopped
    CANCELLED = "cancelled"
    #: a SAF-T organization waiting for its file
    AWAITING_FILE = "awaiting_file"


class YearState(StrEnum):
    """Progress of one year of one organization."""

    IMPORTING = "importing"
    RECONCILING = "reconciling"
    SYNCED = "synced"
    FAILED = "failed"


class ChunkState(StrEnum):
    """One date range's import."""

    #: planned, not yet sent to the workers
    PENDING = "pending"
    #: a year planned whole on a first sync, waiting for another year's pattern (see importer)
    HELD = "held"
    #: a message for it is in the queue
    QUEUED = "queued"
    #: a worker holds its lease
    RUNNING = "running"
    DONE = "done"
    #: too large for one query: replaced by its parts
    SPLIT = "split"
    FAILED = "failed"


class Method(StrEnum):
    """How an organization delivers its ledger."""

    API = "api"
    SAFT = "saft"


class Provider(StrEnum):
    """Accounting systems ledgersync talks to."""

    TRIPLETEX = "tripletex"


#: states in which an organization waits for nothing more
#: the years a ledger may hold: what SAF-T's schema allows in a period, the earliest year the
#: importer asks Tripletex about, and the bounds of `org sync --year`
FIRST_YEAR, LAST_YEAR = 1970, 2100

SETTLED_STATES = frozenset({OrgState.SYNCED, OrgState.NEEDS_ATTENTION, OrgState.CANCELLED})
