"""Resume a cancelled organization's sync where it stopped, never from zero.

`org resume` clears the cancel and sends `resume_sync`; this picks the work up again: pending
chunks are dispatched, years whose chunks all finished meanwhile are closed (reconciled, or
failed), years left reconciling are reconciled, and an organization never planned is planned.
"""

from __future__ import annotations

import structlog

from shared.db.queries import Q
from shared.orgs import settle_org
from shared.outbox import flush, stage
from worker.resources import Resources
from worker.sync.progress import after_chunk, dispatch, target

logger = structlog.get_logger(__name__)


async def resume(res: Resources, org_id: int) -> None:
    """Continue the organization's sync from the state Postgres holds."""
    async with res.pool.acquire() as conn:
        if await target(conn, org_id) is None:
            return  # cancelled again, removed, or no company chosen yet
        planned = await conn.fetchval(Q["org_has_years"], org_id)
        years = await conn.fetch(Q["years_open"], org_id)
    if not planned:
        async with res.pool.acquire() as conn:
            staged = await stage(conn, "plan_sync", org_id)
        await flush(res.pool, res.broker, [staged])
        return
    sent = await dispatch(res, org_id)
    async with res.pool.acquire() as conn:
        steps = [
            await stage(conn, "reconcile_year", org_id, year["year"])
            for year in years
            if year["state"] == "reconciling"
        ]
    await flush(res.pool, res.broker, steps)
    for year in years:
        if year["state"] != "reconciling":
            await after_chunk(res, org_id, year["year"])
    async with res.pool.acquire() as conn, conn.transaction():
        await settle_org(conn, org_id)
    logger.info("sync_resumed", org_id=org_id, chunks_sent=sent, open_years=len(years))
