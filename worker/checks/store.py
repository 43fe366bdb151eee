"""What the checks read from the database, and their runs stored with their time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg

from shared.checks import Check, first_failure
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.errors import BadInput, ConfigError
from worker.checks.facts import Owner


class Trigger(StrEnum):
    """What started a run of the checks."""

    #: `ledgersync check ORG`
    COMMAND = "command"
    #: a worker met an access problem (401, 403, 422 on a token)
    ACCESS_ERROR = "access_error"
    #: the terminal UI
    TUI = "tui"


@dataclass(frozen=True, slots=True)
class Subject:
    """An organization as the checks see it; the employee token decrypted, never shown."""

    org_id: int
    method: str
    provider: str | None
    company_id: int | None
    company_name: str | None
    employee_token: str | None = field(default=None, repr=False)
    stored_owner: Owner | None = None


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One stored run: when, why, and every result in run order."""

    org_id: int
    ran_at: dt.datetime
    triggered_by: str
    results: tuple[Check, ...]

    @property
    def first_failure(self) -> Check | None:
        """The first failing check of the run, if any."""
        return first_failure(self.results)


async def load_subject(
    conn: asyncpg.Connection, org_id: int, cipher: TokenCipher | None
) -> Subject:
    """The organization and its decrypted employee token; ConfigError without a key to read it."""
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    if org is None:
        raise BadInput(f"No organization {org_id}; `ledgersync org list` shows them.")
    creds = await conn.fetchrow(Q["credentials_by_org"], org_id)
    token = None
    if creds is not None:
        if cipher is None:
            raise ConfigError(
                "LEDGERSYNC_SECRET_KEY is not set, so the stored employee token cannot be read: "
                "set it to the key the token was stored with and run the checks again."
            )
        token = cipher.decrypt(creds["employee_token"])
    return Subject(
        org_id,
        org["method"],
        org["provider"],
        org["company_id"],
        org["company_name"],
        token,
        _owner(creds),
    )


def _owner(creds: asyncpg.Record | None) -> Owner | None:
    """Whom the token belonged to at its last validation, if it was validated."""
    if creds is None or creds["actual_employee_id"] is None or creds["token_company_id"] is None:
        return None
    return Owner(creds["actual_employee_id"], creds["token_company_id"])


async def store_run(
    conn: asyncpg.Connection, org_id: int, trigger: Trigger, results: list[Check]
) -> CheckRun:
    """Store a run with its time; the run as stored."""
    failed = first_failure(results)
    row = await conn.fetchrow(
        Q["check_run_insert"],
        org_id,
        trigger.value,
        failed.name.value if failed else None,
        [check.to_json() for check in results],
    )
    return _run(row)


async def recent_failure(conn: asyncpg.Connection, org_id: int, within_s: float) -> CheckRun | None:
    """The last failing run an access error started within `within_s` seconds, if any."""
    row = await conn.fetchrow(Q["check_run_recent_failure"], org_id, within_s)
    return None if row is None else _run(row)


def _run(row: asyncpg.Record) -> CheckRun:
    results: list[dict[str, Any]] = row["results"]
    return CheckRun(
        row["org_id"],
        row["ran_at"],
        row["triggered_by"],
        tuple(Check.from_json(item) for item in results),
    )
