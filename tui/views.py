"""What the screens show: immutable values a data source returns (no I/O, no widgets)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.checks import Check
from shared.jobs import Job, StuckChunk
from shared.ledger.reports import TrialBalanceReport
from tui import pace


@dataclass(frozen=True, slots=True)
class WorkerView:
    """A worker process, the seconds since its last heartbeat, and its readable name."""

    id: str
    heartbeat_age_s: float
    #: host, pid, slot and queues (`box-1 pid 4242 slot 2/4`); None: show the id
    name: str | None = None


@dataclass(frozen=True, slots=True)
class QueueView:
    """A Dramatiq queue: messages waiting, delayed (retries, backoffs) and dead-lettered."""

    name: str
    depth: int
    delayed: int
    dead: int


@dataclass(frozen=True, slots=True)
class SystemView:
    """The workers and queues, for the header of every screen."""

    workers: tuple[WorkerView, ...] = ()
    queues: tuple[QueueView, ...] = ()
    #: seconds within which a heartbeat counts as alive
    alive_within_s: float = 60.0
    #: organizations with work to do and nothing moving for a while (shared.status.stalls)
    stalled: tuple[str, ...] = ()

    @property
    def alive(self) -> int:
        """How many workers were heard from recently."""
        return sum(1 for w in self.workers if w.heartbeat_age_s < self.alive_within_s)

    @property
    def waiting(self) -> int:
        """Messages waiting in every queue."""
        return sum(q.depth for q in self.queues)

    @property
    def delayed(self) -> int:
        """Messages delayed in every queue."""
        return sum(q.delayed for q in self.queues)


@dataclass(frozen=True, slots=True)
class Progress:
    """Postings held against expected, the current sync's rate, and the work it has left.

    Tripletex tells no totals: `expected` is the last import's count (None before one), and
    `share` the part of the dates whose ranges are done, which is knowable either way. A re-sync
    holds the last import's postings until it redoes their chunks: `imported` counts them, and
    `kept` says how many of those wait to be imported again.
    """

    expected: int | None
    imported: int
    #: postings per second of the current sync (tui.pace.rate); None when it is not importing
    rate: float | None = None
    #: the share of the dates imported so far (0 to 1), None when nothing is planned
    share: float | None = None
    #: postings held from the last import whose chunks this sync has not redone yet
    kept: int = 0
    #: postings still to come, (fewest, most) (tui.pace.work_left); None: what is expected, less
    #: what this sync did
    left: tuple[float, float] | None = None

    @property
    def done(self) -> int:
        """Postings this sync imported (a re-sync's kept ones are not done again yet)."""
        return self.imported - self.kept

    def work_left(self) -> tuple[float, float] | None:
        """Postings still to come, (fewest, most): `left`, else what is expected less what this
        sync did; None when neither is known."""
        if self.left is None and self.expected is not None:
            return (float(max(0, self.expected - self.done)),) * 2
        return self.left

    def eta_s(self) -> tuple[float, float] | None:
        """Seconds left, (soonest, latest), at the current rate; None when unknown or idle."""
        return pace.eta(self.work_left(), self.rate)


def date_share(days_done: int | None, days_total: int | None) -> float | None:
    """The share of the planned dates whose ranges are done, None when nothing is planned."""
    if not days_total:
        return None
    return min(1.0, (days_done or 0) / days_total)


@dataclass(frozen=True, slots=True)
class OrgRow:
    """One organization as the home table shows it."""

    id: int
    name: str
    method: str
    provider: str | None
    company: str | None
    state: str
    reason: str | None
    last_error: str | None
    progress: Progress
    chunks_failed: int = 0
    cancel_requested: bool = False
    #: the share of a SAF-T file being imported read so far
    file_read: float | None = None
    #: when `last_error` happened (it is cleared once the organization is synced again)
    last_error_at: dt.datetime | None = None
    #: its last change: for one that waits on an operator, when it began to wait
    updated_at: dt.datetime | None = None
    #: its employee token's fingerprint as stored (None: SAF-T, or not fingerprinted yet)
    token_fingerprint: str | None = None
    #: how it is kept fresh once synced: "hooks" or "polls" (None: not kept fresh)
    fresh: str | None = None


@dataclass(frozen=True, slots=True)
class Overview:
    """The home screen's data: every organization, at the database's time."""

    at: dt.datetime
    orgs: tuple[OrgRow, ...]


@dataclass(frozen=True, slots=True)
class YearRow:
    """One year of one organization: its progress and chunks."""

    year: int
    state: str
    progress: Progress
    chunks_total: int
    chunks_done: int
    chunks_failed: int
    difference: str | None = None
    #: the last day every range up to is imported (while importing)
    covered_through: dt.date | None = None
    #: whether `ledger/annualAccount` lists the year (None: not asked)
    listed: bool | None = None
    #: True: the API's own sums agree; False: they could not be read (`proof_note` says why)
    proven: bool | None = None
    proof_note: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One line of an organization's timeline."""

    at: dt.datetime
    kind: str
    actor: str | None = None
    subject: str | None = None
    note: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Company:
    """A company the organization's token reaches."""

    id: int
    name: str
    org_number: str | None
    own: bool = False


@dataclass(frozen=True, slots=True)
class FileRow:
    """A SAF-T file submitted for an organization, and how its import went."""

    id: int
    name: str
    state: str
    period_start: dt.date | None
    period_end: dt.date | None
    transactions: int
    postings: int
    #: the file's control totals, proved against its lines (None until imported)
    total_debit: Decimal | None
    total_credit: Decimal | None
    bytes_read: int
    bytes_total: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class OrgDetail:
    """One organization: who it is, its years, and what happened to it."""

    at: dt.datetime
    row: OrgRow
    company_id: int | None
    company_org_number: str | None
    #: the token's fingerprint as shown (`fp:3k9x-q2m7`); None without a token (SAF-T)
    token_hint: str | None
    years: tuple[YearRow, ...]
    timeline: tuple[Event, ...]
    #: a SAF-T organization's files, newest first (none for an API organization)
    files: tuple[FileRow, ...] = ()
    #: how it is kept fresh (`shared.freshness.freshness`); None where not read
    freshness: Freshness | None = None


@dataclass(frozen=True, slots=True)
class Freshness:
    """How an organization is kept fresh, as the detail heading says it."""

    #: webhooks, polling or paused
    mode: str
    #: the mode in a sentence, with its reason
    how: str
    #: when its data was last confirmed current
    confirmed_at: dt.datetime | None = None
    #: the last change received: when, by what (webhook, poll, nightly) and what it was
    change_at: dt.datetime | None = None
    change_source: str | None = None
    change_what: str | None = None


@dataclass(frozen=True, slots=True)
class TrialBalanceView:
    """An organization's trial balance of one year, and the years it holds (newest first).

    `report` is None only when the organization holds no year yet.
    """

    at: dt.datetime
    years: tuple[int, ...]
    report: TrialBalanceReport | None


@dataclass(frozen=True, slots=True)
class CheckRunView:
    """A stored run of the troubleshooting checks."""

    id: int
    ran_at: dt.datetime
    triggered_by: str
    results: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class FailuresView:
    """The Jobs screen's data: jobs, work that looks stuck, at the database's time."""

    at: dt.datetime
    jobs: tuple[Job, ...]
    stuck: tuple[StuckChunk, ...]


@dataclass(frozen=True, slots=True)
class TokenLoad:
    """One employee token's requests in the last hour, against its rate limit."""

    #: the limit key the workers count by (a hash of the token, not shown)
    key: str
    #: the token's fingerprint as the UI shows it (`fp:3k9x-q2m7`), None when unknown
    fingerprint: str | None
    #: the organizations whose requests count against it
    orgs: tuple[str, ...]
    #: requests in each whole minute of the last hour, oldest first
    per_minute: tuple[int, ...]
    #: requests allowed per window and the window's length (None before a header told them)
    limit: int | None = None
    window_s: float | None = None
    #: requests sent in the current window
    used: int = 0

    @property
    def limit_per_minute(self) -> float | None:
        """The limit as requests per minute, where the window's length is known."""
        if self.limit is None or not self.window_s:
            return None
        return self.limit * 60.0 / self.window_s


@dataclass(frozen=True, slots=True)
class Waiting:
    """An organization waiting on an operator, since when."""

    id: int
    name: str
    state: str
    since: dt.datetime


@dataclass(frozen=True, slots=True)
class FleetEta:
    """When every syncing organization should be done: a range of two estimates (seconds).

    Both come from each organization's own progress (`Progress.work_left` and its rate,
    tui.pace): the work left at the fleet's rate (the organizations' rates summed), and each
    organization at its own rate, the last to finish deciding. `low`/`high` are whichever is
    less and more; None when neither can be told.
    """

    syncing: int
    #: postings left, (fewest, most), where they can be told (`Progress.work_left`)
    postings_left: tuple[int, int]
    #: syncing organizations whose work left cannot be told yet
    unknown: int
    #: postings per second now: the syncing organizations' rates (tui.pace) summed
    rate: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class FleetView:
    """The fleet at a glance, at the database's time."""

    at: dt.datetime
    #: postings and Tripletex requests per second in each whole minute of the last hour
    postings_per_s: tuple[float, ...]
    requests_per_s: tuple[float, ...]
    #: organizations per state, every state in a fixed order
    states: tuple[tuple[str, int], ...]
    #: organizations waiting on an operator, the longest waiting first
    waiting: tuple[Waiting, ...]
    tokens: tuple[TokenLoad, ...]
    eta: FleetEta
