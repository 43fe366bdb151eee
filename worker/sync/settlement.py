"""What a job that stopped for good settles, so that nothing waits for it forever.

A chunk becomes failed (its year then settles as failed once the rest are done), a
reconciliation fails its year, and a validation or a plan puts the organization into "needs
attention" (unless it is there already, with a better reason).
"""

from __future__ import annotations

import structlog

from shared.db.queries import Q
from shared.orgs import settle_org
from shared.orgs.state import attention_unless_settled
from worker.failures import Failure, record
from worker.resources import Resources
from worker.sync.progress import after_chunk

logger = structlog.get_logger(__name__)


async def record_and_settle(res: Resources, failure: Failure) -> None:
    """Store a failed attempt; when the job stopped for good, fail its work where it belongs."""
    async with res.pool.acquire() as conn:
        job = await record(conn, failure)
    logger.warning(
        "job_failed",
        job_id=job["id"],
        attempt=job["attempts"],
        error_class=failure.error_class,
        error=failure.error,
        stop_reason=failure.stop_reason,
    )
    if failure.stop_reason is not None:
        await settle_stopped(res, failure, job["org_id"], job["year"], job["chunk_id"])


async def settle_stopped(
    res: Resources, failure: Failure, org_id: int | None, year: int | None, chunk_id: int | None
) -> None:
    """A job stopped for good: its chunk, year or organization says so instead of waiting."""
    if org_id is None:
        return
    sentence = f"{failure.error} ({failure.stop_reason}; see `ledgersync jobs list`)"
    if failure.actor == "import_chunk" and chunk_id is not None:
        async with res.pool.acquire() as conn:
            failed = await conn.fetchrow(Q["chunk_fail_stopped"], chunk_id, sentence)
        if failed is not None:
            await after_chunk(res, org_id, failed["year"])
    elif failure.actor == "reconcile_year" and year is not None:
        async with res.pool.acquire() as conn, conn.transaction():
            await conn.execute(Q["year_fail"], org_id, year, f"Reconciliation failed: {sentence}")
            await settle_org(conn, org_id)
    else:
        async with res.pool.acquire() as conn:
            await attention_unless_settled(conn, org_id, sentence)
