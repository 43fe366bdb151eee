"""Import an organization's ledger: plan years into chunks, import chunks, dispatch more.

Postgres is the source of truth for what work exists and how far it got: chunks are planned
there first, then sent; a chunk is leased by one worker at a time and written in one transaction
with its status. Each organization keeps at most `WINDOW` chunks queued or running, so many
organizations share the workers fairly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import asyncpg
import structlog
from dramatiq.brokers.redis import RedisBroker

from shared.db.queries import Q
from shared.models import OrgState
from shared.queue import send
from worker import testhooks
from worker.access import Access
from worker.failures import chunk_crashed, error_sentence
from worker.onboarding import ACCESS_ERRORS, mark_needs_attention
from worker.planner import (
    DateRange,
    can_split,
    halves,
    month_ranges,
    year_range,
    years_newest_first,
)
from worker.resources import Resources
from worker.store import write_chunk
from worker.tripletex import Auth, TripletexClient
from worker.tripletex_errors import ResultSetTooLarge

logger = structlog.get_logger(__name__)

#: chunks of one organization queued or running at once (enough to keep a worker's threads busy)
WINDOW = 12
#: planning probes of one organization in flight at once
PROBES = 8
#: deliveries in a row that may die holding a chunk before it is failed as crashing its worker
DELIVERY_CAP = 5
#: seconds a failing or stopping worker tries to give a chunk back before leaving it to its lease
HAND_BACK_TIMEOUT_S = 5.0
HAND_BACK_PAUSE_S = 0.1
#: the earliest year asked of `ledger/annualAccount`
FIRST_YEAR = 2000
#: a marker for an estimate above the API's 10,000 cap
TOO_MANY = -1


async def target(conn: asyncpg.Connection, org_id: int) -> tuple[int, int] | None:
    """(company to read, Basic username) of an organization ready to sync, else None."""
    row = await conn.fetchrow(Q["org_import_target"], org_id)
    if row is None or row["company_id"] is None or row["cancel_requested"]:
        return None
    return row["company_id"], 0 if row["is_own"] else row["company_id"]


async def plan_sync(res: Resources, org_id: int, year: int | None = None) -> None:
    """Plan (or re-plan) the years to import, newest first, then send the first chunks."""
    async with res.pool.acquire() as conn:
        found = await target(conn, org_id)
    if found is None:
        return
    _, username = found
    access = res.access
    if year is None:
        this_year = dt.date.today().year
        listed = await access.call(
            org_id, username,
            lambda auth: access.client.annual_account_years(auth, FIRST_YEAR, this_year + 1),
        )  # fmt: skip
        years = years_newest_first({*listed, this_year}, through=this_year)
    else:
        years = [year]
    async with res.pool.acquire() as conn, conn.transaction():
        for each in years:  # every year open before any settles, so none settles too early
            await conn.execute(Q["year_start"], org_id, each, None)
    gate = asyncio.Semaphore(PROBES)
    planned = [asyncio.ensure_future(_plan_year(res, org_id, username, y, gate)) for y in years]
    try:
        for year_planned in planned:  # newest first: its chunks go out while older years plan
            await year_planned
            await dispatch(res, org_id)
    finally:  # failed or stopped: no year goes on planning behind the job's back
        for year_planned in planned:
            year_planned.cancel()
    async with res.pool.acquire() as conn, conn.transaction():
        await settle_org(conn, org_id)


async def _plan_year(
    res: Resources, org_id: int, username: int, year: int, gate: asyncio.Semaphore
) -> None:
    async with res.pool.acquire() as conn:
        if await conn.fetchval(Q["year_has_chunks"], org_id, year):
            async with conn.transaction():
                await conn.execute(Q["year_start"], org_id, year, None)
                await conn.execute(Q["year_requeue_chunks"], org_id, year)
            return
    whole = year_range(year)
    total = await _estimate(res.access, org_id, username, whole, gate)
    spans: list[tuple[DateRange, int]] = []
    if total != 0:
        spans = await _fit(res.access, org_id, username, month_ranges(year), gate)
    async with res.pool.acquire() as conn, conn.transaction():
        expected = sum(max(n, 0) for _, n in spans)
        await conn.execute(Q["year_start"], org_id, year, expected)
        for span, estimate in spans:
            await conn.execute(
                Q["chunk_insert"], org_id, year, span.start, span.end, max(estimate, 0)
            )
        if not spans:
            await conn.execute(Q["year_finish_empty"], org_id, year)
    logger.info("year_planned", org_id=org_id, year=year, chunks=len(spans), expected=total)


async def _estimate(
    access: Access, org_id: int, username: int, span: DateRange, gate: asyncio.Semaphore
) -> int:
    """The API's count estimate for a range, or TOO_MANY above the 10,000 cap."""
    try:
        async with gate:
            return await access.call(
            org_id, username,
                lambda auth: access.client.posting_count_estimate(auth, span.start, span.end),
            )  # fmt: skip
    except ResultSetTooLarge:
        return TOO_MANY


async def _fit(
    access: Access, org_id: int, username: int, spans: list[DateRange], gate: asyncio.Semaphore
) -> list[tuple[DateRange, int]]:
    """Ranges with their estimates, halved until each is under the cap (or one day long)."""
    estimates = await asyncio.gather(*(_estimate(access, org_id, username, s, gate) for s in spans))
    fitted: list[tuple[DateRange, int]] = []
    for span, estimate in zip(spans, estimates, strict=True):
        if estimate == TOO_MANY and can_split(span):
            fitted += await _fit(access, org_id, username, list(halves(span)), gate)
        elif estimate != 0:
            fitted.append((span, estimate))
    return fitted


async def dispatch(res: Resources, org_id: int) -> int:
    """Send pending chunks up to the organization's window; return how many were sent."""
    return await dispatch_pending(res.pool, res.broker, org_id)


async def dispatch_pending(pool: asyncpg.Pool, broker: RedisBroker, org_id: int) -> int:
    """`dispatch` with a pool and a broker (the scheduler has no worker resources)."""
    async with pool.acquire() as conn, conn.transaction():
        org = await conn.fetchrow(Q["org_lock"], org_id)
        if org is None or org["cancel_requested"]:
            return 0
        ids = [row["id"] for row in await conn.fetch(Q["chunks_dispatch"], org_id, WINDOW)]
    for chunk_id in ids:
        send(broker, "import_chunk", chunk_id)
    return len(ids)


async def import_chunk(res: Resources, chunk_id: int, owner: uuid.UUID | None = None) -> None:
    """Lease the chunk, fetch its postings, write them with its status, then dispatch more."""
    owner = owner or uuid.uuid4()
    try:
        async with res.pool.acquire() as conn:
            chunk = await conn.fetchrow(Q["chunk_claim"], chunk_id, owner, res.options.lease_s)
            found = await target(conn, chunk["org_id"]) if chunk else None
            if chunk is not None and found is None:  # the organization stopped: hand it back
                await conn.execute(Q["chunk_release"], chunk_id, owner)
    except (Exception, asyncio.CancelledError):
        await hand_back(res, chunk_id, owner)  # leased perhaps, the answer lost with the connection
        raise
    if chunk is None or found is None:
        return  # done already, held by another worker, or the organization stopped
    org_id, year = chunk["org_id"], chunk["year"]
    if chunk["abandoned"] >= DELIVERY_CAP:  # its last deliveries all died with their worker
        await chunk_crashed(res, chunk, owner)
        await after_chunk(res, org_id, year)
        return
    span = DateRange(chunk["date_from"], chunk["date_to"])
    testhooks.crash_if_asked(span.start, span.end)
    try:
        await _import_leased(res, chunk_id, owner, org_id=org_id, year=year, span=span,
                             username=found[1])  # fmt: skip
    except (Exception, asyncio.CancelledError) as exc:
        # a failure or a stop: the job's retry (or the message sent again) may lease it at once,
        # instead of finding it held until the lease runs out; a failure's error is kept
        await hand_back(res, chunk_id, owner, exc if isinstance(exc, Exception) else None)
        raise
    await after_chunk(res, org_id, year)


async def _import_leased(
    res: Resources, chunk_id: int, owner: uuid.UUID, *, org_id: int, year: int, span: DateRange,
    username: int,
) -> None:  # fmt: skip
    access = res.access
    began = time.perf_counter()
    try:
        pages = await access.call(org_id, username, lambda auth: _fetch(access.client, auth, span))
    except ACCESS_ERRORS as exc:
        async with res.pool.acquire() as conn:
            await conn.execute(Q["chunk_release"], chunk_id, owner)
        raise await mark_needs_attention(res, org_id, exc) from exc
    except ResultSetTooLarge:
        await _split(res, chunk_id, owner, org_id=org_id, year=year, span=span)
    else:
        fetched = time.perf_counter()
        async with res.pool.acquire() as conn:
            written = await write_chunk(
                conn, org_id=org_id, chunk_id=chunk_id, lease_owner=owner, span=span, pages=pages
            )
        logger.info(
            "chunk_imported", org_id=org_id, chunk_id=chunk_id, span=f"{span.start}..{span.end}",
            postings=written.total, written=written.written, deleted=written.deleted,
            fetch_s=round(fetched - began, 3), write_s=round(time.perf_counter() - fetched, 3),
        )  # fmt: skip


async def hand_back(
    res: Resources, chunk_id: int, owner: uuid.UUID, failure: Exception | None = None
) -> None:
    """Give back a chunk still held (not finished): queued, for its next message to lease; after
    a failure, with its error and one more attempt counted."""
    error: Exception | None = None
    args: tuple[object, ...] = (chunk_id, owner)
    query = Q["chunk_hand_back"]
    if failure is not None:
        query, args = Q["chunk_release_after_error"], (*args, error_sentence(failure))
    try:
        async with asyncio.timeout(HAND_BACK_TIMEOUT_S):
            while True:  # after dropped connections, the pool soon hands out new ones
                try:
                    async with res.pool.acquire() as conn:
                        handed = await conn.fetchrow(query, *args)
                except Exception as exc:  # asyncpg's errors after a drop are of many kinds
                    error = exc
                    await asyncio.sleep(HAND_BACK_PAUSE_S)
                else:
                    if handed is not None:
                        logger.info("chunk_handed_back", chunk_id=chunk_id)
                    return
    except TimeoutError:
        error = error or TimeoutError()
    # Postgres is away: the lease runs out, and the scheduler sends the chunk again
    logger.warning("chunk_not_handed_back", chunk_id=chunk_id, error=type(error).__name__)


async def _fetch(client: TripletexClient, auth: Auth, span: DateRange) -> list[bytes]:
    """Every page of a range, raw, as received."""
    return [page.raw async for page in client.iter_raw_postings(auth, span.start, span.end)]


async def _split(
    res: Resources, chunk_id: int, owner: uuid.UUID, *, org_id: int, year: int, span: DateRange
) -> None:
    async with res.pool.acquire() as conn, conn.transaction():
        if not can_split(span):
            await conn.execute(
                Q["chunk_fail"], chunk_id, owner,
                f"{span.start} alone holds more than 10,000 postings; the API cannot page it.",
            )  # fmt: skip
            return
        if await conn.fetchrow(Q["chunk_split"], chunk_id, owner) is None:
            return
        for half in halves(span):
            await conn.execute(Q["chunk_insert"], org_id, year, half.start, half.end, None)
    logger.info("chunk_split", org_id=org_id, chunk_id=chunk_id, span=f"{span.start}..{span.end}")


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
    if closed is not None:
        send(res.broker, "reconcile_year", org_id, year)


async def settle_org(conn: asyncpg.Connection, org_id: int) -> None:
    """The organization is synced when every year is, needs attention when one failed.

    Call inside a transaction: the organization's row lock orders concurrent settlements.
    """
    org = await conn.fetchrow(Q["org_lock"], org_id)
    if org is None or org["cancel_requested"]:
        return  # stays cancelled: `org resume` settles it later
    summary = await conn.fetchrow(Q["org_years_summary"], org_id)
    if summary["open"]:
        await conn.execute(Q["org_set_state"], org_id, OrgState.SYNCING, None)
    elif summary["failed"]:
        await conn.execute(
            Q["org_set_state"], org_id, OrgState.NEEDS_ATTENTION,
            f"{summary['failed']} year(s) failed: chunks that failed or sums that differ from "
            "Tripletex; see `org show` and `jobs list`.",
        )  # fmt: skip
    else:
        await conn.execute(Q["org_set_state"], org_id, OrgState.SYNCED, None)
