"""Jobs that failed: list them, see why, retry them (one, or all that match), find stuck work.

Shared by the command line and the terminal UI; async functions taking a connection. The
workers record failures (worker/failures.py); this module reads them and retries them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit, dead_letters
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import OrgState
from shared.orgs.state import reopen
from shared.queue import send
from shared.saft import submit as saft_submit


class JobState(StrEnum):
    """Where a failing job stands."""

    #: stopped for good: an operator must retry it (or fix the cause first)
    FAILED = "failed"
    #: another attempt is coming (a retry after backoff, or an operator's retry)
    RETRYING = "retrying"
    #: the job succeeded since it failed
    RESOLVED = "resolved"


class StopReason(StrEnum):
    """Why a job stopped for good."""

    RETRIES_EXHAUSTED = "retries_exhausted"
    #: an error retrying cannot fix (access refused, bad input)
    PERMANENT = "permanent"
    #: its worker died again and again while running it
    CRASHED = "crashed"
    #: an operator cancelled the organization's sync
    CANCELLED = "cancelled"


#: `list_jobs(state=UNRESOLVED)`: failed and retrying jobs
UNRESOLVED = "unresolved"
_STATES: dict[str | None, list[str] | None] = {
    None: None,
    UNRESOLVED: [JobState.FAILED, JobState.RETRYING],
    **{state.value: [state.value] for state in JobState},
}


@dataclass(frozen=True, slots=True)
class Job:
    """One failing logical job (an actor and its arguments) and its last failure."""

    id: int
    actor: str
    org_id: int | None
    org_name: str | None
    year: int | None
    chunk_id: int | None
    state: str
    attempts: int
    error_class: str
    error: str
    traceback: str
    stop_reason: str | None
    failed_at: dt.datetime
    updated_at: dt.datetime
    args: tuple[Any, ...] = ()
    first_failed_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    #: when the retry policy runs it again (a job waiting for a timed retry), else None
    next_retry_at: dt.datetime | None = None
    #: a chunk's job: the months or dates the chunk imports (`2024-03`), None for other jobs
    range: str | None = None

    def to_json(self, *, traceback: bool = False) -> dict[str, Any]:
        """`jobs list --json`: every field but the traceback (unless asked for)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "actor": self.actor,
            "args": list(self.args),
            "org_id": self.org_id,
            "org_name": self.org_name,
            "year": self.year,
            "chunk_id": self.chunk_id,
            "state": self.state,
            "attempts": self.attempts,
            "error_class": self.error_class,
            "error": self.error,
            "stop_reason": self.stop_reason,
            "first_failed_at": self.first_failed_at,
            "failed_at": self.failed_at,
            "updated_at": self.updated_at,
            "resolved_at": self.resolved_at,
            "range": self.range,
            "next_retry_at": self.next_retry_at,
        }
        if traceback:
            shown["traceback"] = self.traceback
        return shown


@dataclass(frozen=True, slots=True)
class Attempt:
    """One failed attempt of a job."""

    attempt: int
    failed_at: dt.datetime
    message_id: str | None
    error_class: str
    error: str
    traceback: str
    #: 'retrying', or why the job stopped
    outcome: str


@dataclass(frozen=True, slots=True)
class StuckChunk:
    """A chunk that looks stuck: running past its lease, or queued too long."""

    chunk_id: int
    org_id: int
    org_name: str
    year: int
    state: str
    date_from: dt.date
    date_to: dt.date
    deliveries: int
    #: deliveries in a row whose worker died holding the chunk
    abandoned: int
    #: when its lease ran out (running) or when it was queued
    since: dt.datetime


def chunk_range(
    date_from: dt.date,
    date_to: dt.date,
    account_from: int | None = None,
    account_to: int | None = None,
) -> str:
    """A chunk's dates [from, to) for people: `2024`, `2024-03`, `2024-03 – 2024-05`,
    `2024-03-05`, `2024-03-01 – 2024-03-14` (the last day shown is imported), and its accounts
    when it is split by account: `2024-12-31 accounts 1000–1999`."""
    last = date_to - dt.timedelta(days=1)
    if date_from.day == 1 and date_to.day == 1:
        if date_from.month == 1 and date_to.month == 1 and date_to.year == date_from.year + 1:
            shown = str(date_from.year)
        elif (date_to.year, date_to.month) == _next_month(date_from):
            shown = f"{date_from:%Y-%m}"
        else:
            shown = f"{date_from:%Y-%m} – {last:%Y-%m}"
    elif last == date_from:
        shown = date_from.isoformat()
    else:
        shown = f"{date_from.isoformat()} – {last.isoformat()}"
    if account_from is None and account_to is None:
        return shown
    upper = "" if account_to is None else str(account_to - 1)
    return f"{shown} accounts {account_from or 0}–{upper}"


def _next_month(day: dt.date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def _range(row: asyncpg.Record) -> str | None:
    if row["chunk_from"] is None:
        return None
    return chunk_range(
        row["chunk_from"], row["chunk_to"], row["chunk_account_from"], row["chunk_account_to"]
    )


def _job(row: asyncpg.Record) -> Job:
    return Job(
        id=row["id"],
        actor=row["actor"],
        org_id=row["org_id"],
        org_name=row["org_name"],
        year=row["year"],
        chunk_id=row["chunk_id"],
        state=row["state"],
        attempts=row["attempts"],
        error_class=row["error_class"],
        error=row["error"],
        traceback=row["traceback"],
        stop_reason=row["stop_reason"],
        failed_at=row["last_failed_at"],
        updated_at=row["updated_at"],
        args=tuple(row["args"]),
        first_failed_at=row["first_failed_at"],
        resolved_at=row["resolved_at"],
        next_retry_at=row["next_retry_at"],
        range=_range(row),
    )


async def list_jobs(
    conn: asyncpg.Connection,
    *,
    state: str | None = JobState.FAILED,
    org_id: int | None = None,
    limit: int = 500,
) -> list[Job]:
    """Jobs, last failed first; `state` None for all, or UNRESOLVED for failed and retrying."""
    if state not in _STATES:
        choices = ", ".join(s for s in _STATES if s)
        raise BadInput(f"Unknown job state {state!r}; use one of {choices}.")
    rows = await conn.fetch(Q["jobs_list"], _STATES[state], org_id, limit)
    return [_job(row) for row in rows]


async def get_job(conn: asyncpg.Connection, job_id: int) -> Job | None:
    """One job, or None."""
    row = await conn.fetchrow(Q["job_by_id"], job_id)
    return None if row is None else _job(row)


async def job_attempts(conn: asyncpg.Connection, job_id: int) -> list[Attempt]:
    """A job's failed attempts, in order."""
    return [Attempt(**dict(row)) for row in await conn.fetch(Q["job_attempts_by_job"], job_id)]


async def count_by_state(conn: asyncpg.Connection) -> dict[str, int]:
    """How many jobs are failed and retrying (for `status`)."""
    found = {row["state"]: row["count"] for row in await conn.fetch(Q["jobs_count_by_state"])}
    return {JobState.FAILED.value: 0, JobState.RETRYING.value: 0} | found


def is_permanent(job: Job) -> bool:
    """Whether the job stopped on an error retrying cannot fix (access refused, bad input)."""
    return job.state == JobState.FAILED and job.stop_reason == StopReason.PERMANENT


@dataclass(frozen=True, slots=True)
class FailedIds:
    """The failed jobs of a scope: those a retry may fix, and the permanent failures."""

    retryable: tuple[int, ...]
    permanent: tuple[int, ...]


async def failed_ids(conn: asyncpg.Connection, org_id: int | None = None) -> FailedIds:
    """Every failed job (of `org_id`, or all), oldest first, permanent failures apart."""
    rows = await conn.fetch(Q["jobs_failed_ids"], org_id)
    permanent = [row["id"] for row in rows if row["stop_reason"] == StopReason.PERMANENT]
    retryable = [row["id"] for row in rows if row["stop_reason"] != StopReason.PERMANENT]
    return FailedIds(tuple(retryable), tuple(permanent))


@dataclass(frozen=True, slots=True)
class RetryScope:
    """Which jobs a retry takes: these ids, or (None) every failed one, of `org_id` or all.

    Permanent failures count when retrying every one only with `include_permanent`; jobs named
    by id are retried whatever stopped them.
    """

    job_ids: tuple[int, ...] | None = None
    org_id: int | None = None
    include_permanent: bool = False


async def retry_jobs(
    conn: asyncpg.Connection, broker: RedisBroker, scope: RetryScope, *, actor: str
) -> list[int]:
    """Retry the jobs of `scope`; the ids retried, audited.

    Each retry resets the job's attempts, makes its work waiting again (a failed chunk queued,
    its year and organization open) and sends its message once that is committed; its dead
    letter leaves Dramatiq's dead-letter queue then. Resolved jobs are left alone, and so are
    permanent failures when retrying every one unless `scope.include_permanent` (a revoked
    token fails again until someone fixes it); jobs named by id are retried whatever stopped
    them. An unknown id is BadInput before anything changes.
    """
    job_ids = scope.job_ids
    if job_ids is None:
        failed = await failed_ids(conn, scope.org_id)
        ids = sorted(failed.retryable + (failed.permanent if scope.include_permanent else ()))
    else:
        ids = list(dict.fromkeys(job_ids))
        known = {row["id"] for row in await conn.fetch(Q["jobs_existing"], ids)}
        unknown = [str(job_id) for job_id in ids if job_id not in known]
        if unknown:
            raise BadInput(
                f"No job {', '.join(unknown)}; `ledgersync jobs list --state all` shows them."
            )
    to_send: list[asyncpg.Record] = []
    async with conn.transaction():
        for job_id in ids:
            job = await conn.fetchrow(Q["job_lock"], job_id)
            if job["state"] == JobState.RESOLVED:
                continue
            await _reopen(conn, job)
            await conn.execute(Q["job_mark_retrying"], job_id)
            await audit.record(
                conn,
                "job.retry",
                job["org_id"],
                {"job_id": job_id, "actor": job["actor"], "args": job["args"]},
                actor=actor,
            )
            to_send.append(job)
    for job in to_send:
        send(broker, job["actor"], *job["args"])
    dead_letters.forget(broker.client, [(job["actor"], job["message_id"]) for job in to_send])
    return [job["id"] for job in to_send]


async def _reopen(conn: asyncpg.Connection, job: asyncpg.Record) -> None:
    """Make the job's work waiting again, so its message finds something to do."""
    org_id, year = job["org_id"], job["year"]
    if job["actor"] == "import_saft" and job["args"]:
        org_id = await saft_submit.reopen_import(conn, job["args"][0])
    elif job["actor"] == "import_chunk" and job["chunk_id"] is not None:
        await conn.execute(Q["chunk_retry"], job["chunk_id"])
        await conn.execute(Q["year_reopen"], org_id, year)
    elif job["actor"] == "reconcile_year" and year is not None:
        await conn.execute(Q["year_reopen_reconcile"], org_id, year)
    if org_id is not None:
        state = OrgState.VALIDATING if job["actor"] == "validate_token" else OrgState.SYNCING
        await reopen(conn, org_id, state)


async def stuck_chunks(
    conn: asyncpg.Connection, *, older_than_s: float = 600, limit: int = 500
) -> list[StuckChunk]:
    """Chunks running past their lease, or queued longer than `older_than_s` seconds."""
    rows = await conn.fetch(Q["chunks_stuck"], older_than_s, limit)
    return [StuckChunk(**dict(row)) for row in rows]
