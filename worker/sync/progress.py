"""How a sync goes on: chunks sent up to the organization's window, years closed, the state settled.

Whatever ends a chunk (imported, failed for good, resumed) calls `after_chunk`: more chunks go out,
a year with none open is reconciled or failed, and the organization's state follows its years.
Each organization keeps at most `WINDOW` chunks queued or running, so many organizations share
the workers fairly.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
import structlog
from dramatiq.brokers.redis import RedisBroker

from shared.db.queries import Q
from shared.orgs import settle_org
from shared.outbox import flush, stage
from worker import testhooks
from worker.resources import Resources
from worker.sync.plan import RESULT_CAP, DateRange, Density, Scope, planned, year_range
from worker.sync.store import insert_chunk

logger = structlog.get_logger(__name__)

#: chunks of one organization queued or running at once (enough to keep a worker's threads busy)
WINDOW = 12


async def target(conn: asyncpg.Connection, org_id: int) -> tuple[int, int] | None:
    """(company to read, Basic username) of an organization ready to sync, else None."""
    row = await conn.fetchrow(Q["org_import_target"], org_id)
    if row is None or row["company_id"] is None or row["cancel_requested"]:
        return None
    return row["company_id"], 0 if row["is_own"] else row["company_id"]


async def dispatch(res: Resources, org_id: int) -> int:
    """Send pending chunks up to the organization's window; return how many were sent."""
    return await dispatch_pending(res.pool, res.broker, org_id)


async def dispatch_pending(pool: asyncpg.Pool, broker: RedisBroker, org_id: int) -> int:
    """`dispatch` with a pool and a broker (the scheduler has no worker resources)."""
    async with pool.acquire() as conn, conn.transaction():
        org = await conn.fetchrow(Q["org_lock"], org_id)
        if org is None or org["cancel_requested"]:
            return 0
        await release_held(conn, org_id)
        ids = [row["id"] for row in await conn.fetch(Q["chunks_dispatch"], org_id, WINDOW)]
        staged = [await stage(conn, "import_chunk", chunk_id) for chunk_id in ids]
    await flush(pool, broker, staged)
    return len(ids)


async def release_held(conn: asyncpg.Connection, org_id: int) -> int:
    """Once nothing else of the organization waits or runs, plan its held years in the ranges
    its newest imported year with postings needed; with none yet (the newest were empty), let
    the next held year go alone, as a whole. How many were released.

    Call inside a transaction holding the organization's row lock.
    """
    held = await conn.fetch(Q["chunks_held_idle"], org_id)
    if not held:
        return 0
    found = await _density(conn, org_id)
    reference = None if found is None else found.without_spikes()
    if reference is None:
        held = held[:1]  # newest first: it becomes the pattern, or shows the next is needed
    for chunk in held:
        year = chunk["year"]
        whole = Scope(DateRange(chunk["date_from"], chunk["date_to"]))
        parts = [whole] if reference is None else planned(whole, reference.moved_to(year).count)
        if parts == [whole]:
            await conn.execute(Q["chunk_unhold"], chunk["id"], "pending")
            continue
        await conn.execute(Q["chunk_unhold"], chunk["id"], "split")
        for part in parts:
            await insert_chunk(conn, org_id, year, part)
    logger.info("held_years_planned", org_id=org_id, years=len(held), like=reference is not None)
    return len(held)


async def _density(conn: asyncpg.Connection, org_id: int) -> Density | None:
    """Postings per day (per account on days above the cap) of the newest imported year."""
    year = await conn.fetchval(Q["chunks_density_reference_year"], org_id)
    if year is None:
        return None
    span = year_range(year)
    rows = await conn.fetch(Q["postings_per_day"], org_id, span.start, span.end, RESULT_CAP)
    per_day = {r["posting_date"]: r["n"] for r in rows if r["account"] is None}
    per_account: dict[dt.date, dict[int, int]] = {}
    for r in rows:
        if r["account"] is not None:
            per_account.setdefault(r["posting_date"], {})[r["account"]] = r["n"]
    return Density(per_day, per_account)


async def after_chunk(res: Resources, org_id: int, year: int) -> None:
    """Send more chunks; a year with none open is reconciled (once), or failed if chunks did."""
    await dispatch(res, org_id)
    async with res.pool.acquire() as conn, conn.transaction():
        closed = await conn.fetchrow(Q["year_close_if_done"], org_id, year)
        if closed is not None and closed["failed_chunks"]:
            reason = f"{closed['failed_chunks']} chunk(s) failed; see `ledgersync jobs list`."
            await conn.execute(Q["year_fail"], org_id, year, reason)
            await settle_org(conn, org_id)
            return
        staged = None if closed is None else await stage(conn, "reconcile_year", org_id, year)
    testhooks.crash_after_commit("reconcile_year")
    await flush(res.pool, res.broker, [staged])
