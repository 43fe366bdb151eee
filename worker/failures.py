"""Failed jobs into Postgres: every failed attempt kept, redacted, with its job's row.

A job is an actor and its arguments; its row in `jobs` lives until a later success of the same
job resolves it. What a job stopping for good means for its work is worker/sync/settlement.py's.
"""

from __future__ import annotations

import asyncio
import traceback as tb
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from shared import dead_letters
from shared.db.queries import Q
from shared.jobs import JobState, StopReason
from shared.logging import redact_secrets
from worker.resources import Resources
from worker.retry_policy import Decision

logger = structlog.get_logger(__name__)

#: longest error sentence kept
MAX_ERROR_CHARS = 1_000
#: longest traceback kept (its end, where the error is)
MAX_TRACEBACK_CHARS = 20_000
#: frames of a traceback kept, per exception in a chain
TRACEBACK_FRAMES = 40


def redact(text: str) -> str:
    """The text with registered secrets and anything shaped like a secret masked."""
    return str(redact_secrets(None, "jobs", {"text": text})["text"])


def error_sentence(exc: BaseException) -> str:
    """The exception's first line, short and redacted (its class name when it has none)."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else f"{type(exc).__name__} with no message"
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1].rstrip() + "…"
    return redact(text)


def traceback_text(exc: BaseException) -> str:
    """The exception's traceback (with its causes), redacted, at most MAX_TRACEBACK_CHARS."""
    text = "".join(tb.format_exception(exc, limit=TRACEBACK_FRAMES))
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "…\n" + text[-MAX_TRACEBACK_CHARS:]
    return redact(text)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt of a job, ready to store."""

    actor: str
    args: list[Any]
    message_id: str | None
    error_class: str
    error: str
    traceback: str
    stop_reason: StopReason | None
    #: milliseconds until the retry policy runs the job again (None: it stopped)
    retry_in_ms: int | None = None

    @classmethod
    def of(
        cls,
        actor: str,
        args: Sequence[Any],
        message_id: str | None,
        exc: BaseException,
        decision: Decision,
    ) -> Failure:
        """The failure of a message's attempt, secrets masked."""
        return cls(
            actor,
            list(args),
            message_id,
            type(exc).__name__,
            error_sentence(exc),
            traceback_text(exc),
            decision.stop_reason,
            decision.delay_ms if decision.retry else None,
        )

    @property
    def state(self) -> JobState:
        """The job's state after this attempt."""
        return JobState.RETRYING if self.stop_reason is None else JobState.FAILED

    def key(self) -> tuple[int | None, int | None, int | None]:
        """(organization, year, chunk) from the actor's arguments (a chunk's come from its row)."""
        first = self.args[0] if self.args and isinstance(self.args[0], int) else None
        if self.actor == "import_chunk":
            return None, None, first
        if self.actor == "remove_webhooks":  # its argument is a subscription row's id
            return None, None, None
        year = self.args[1] if len(self.args) > 1 and isinstance(self.args[1], int) else None
        return first, year, None


async def record(conn: asyncpg.Connection, failure: Failure) -> asyncpg.Record:
    """Store the attempt with its job's row; the row (id, attempts, org_id, year, chunk_id)."""
    org_id, year, chunk_id = failure.key()
    if failure.actor == "import_saft" and org_id is not None:  # its argument is the import's id
        org_id = await conn.fetchval(Q["saft_import_org"], org_id)
    async with conn.transaction():
        job = await conn.fetchrow(
            Q["job_record_failure"],
            failure.actor,
            failure.args,
            org_id,
            year,
            chunk_id,
            failure.message_id,
            failure.state,
            failure.error_class,
            failure.error,
            failure.traceback,
            failure.stop_reason,
        )
        await conn.execute(
            Q["job_attempt_insert"],
            job["id"],
            job["attempts"],
            failure.message_id,
            failure.error_class,
            failure.error,
            failure.traceback,
            failure.stop_reason or JobState.RETRYING,
        )
        if failure.retry_in_ms is not None:
            await conn.execute(Q["job_set_next_retry"], job["id"], failure.retry_in_ms)
    return job


async def resolve(res: Resources, actor: str, args: Sequence[Any]) -> None:
    """The job succeeded: its unresolved row, if any, is resolved, and its dead letter goes."""
    async with res.pool.acquire() as conn:
        resolved = await conn.fetch(Q["job_resolve"], actor, list(args))
    for row in resolved:
        logger.info("job_resolved", job_id=row["id"])
    dead = [(row["actor"], row["message_id"]) for row in resolved if row["message_id"]]
    if dead:
        await asyncio.to_thread(dead_letters.forget, res.broker.client, dead)


async def chunk_crashed(res: Resources, chunk: asyncpg.Record, owner: uuid.UUID) -> None:
    """A chunk whose deliveries keep dying with their worker: failed, recorded as crashed."""
    died = chunk["abandoned"]
    error = (
        f"The worker died holding this chunk {died} times in a row "
        f"({chunk['date_from']}..{chunk['date_to']}); it is stopped so it takes down no more."
    )
    failure = Failure(
        "import_chunk", [chunk["id"]], None, "WorkerCrashed", error, "", StopReason.CRASHED
    )
    async with res.pool.acquire() as conn, conn.transaction():
        await record(conn, failure)
        await conn.execute(Q["chunk_fail"], chunk["id"], owner, error)
    logger.error("chunk_crashed", chunk_id=chunk["id"], org_id=chunk["org_id"], deliveries=died)
