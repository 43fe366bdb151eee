"""Import an organization's ledger: plan years into chunks, import each chunk a worker leased.

Postgres is the source of truth for what work exists and how far it got: chunks are planned
there first, then sent; a chunk is leased by one worker at a time and written in one transaction
with its status. What follows a chunk (more chunks, the year's close, the organization's state)
is `worker.sync.progress`'s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import asyncpg
import structlog

from shared.db.queries import Q
from shared.models import FIRST_YEAR
from shared.orgs import settle_org
from shared.orgs.state import plan_completed
from shared.outbox import flush, stage
from shared.queue import send
from worker import testhooks
from worker.failures import chunk_crashed, error_sentence
from worker.onboarding import ACCESS_ERRORS, mark_needs_attention
from worker.resources import Resources
from worker.sync.plan import (
    AccountRange,
    DateRange,
    Scope,
    split,
    year_range,
    years_to_import,
)
from worker.sync.progress import after_chunk, dispatch, target
from worker.sync.store import LeasedChunk, insert_chunk, write_chunk
from worker.tripletex.access import Access
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import ResultSetTooLarge
from worker.tripletex.protocol import Auth, oslo_today

logger = structlog.get_logger(__name__)

#: deliveries in a row that may die holding a chunk before it is failed as crashing its worker
DELIVERY_CAP = 5
#: milliseconds before a chunk held by a dead worker is tried again while another such chunk runs
TAKEOVER_WAIT_MS = 3_000
#: seconds a failing or stopping worker tries to give a chunk back before leaving it to its lease
HAND_BACK_TIMEOUT_S = 5.0
HAND_BACK_PAUSE_S = 0.1


async def plan_sync(res: Resources, org_id: int, year: int | None = None) -> None:
    """Plan (or re-plan) the years to import, newest first, then send the first chunks.

    One plan per organization at a time (a Postgres advisory lock); a message whose request
    (`plan_requested_at`, set with the change that calls for a plan) is covered by a plan that
    started after it does nothing, so duplicates of one request (a message delivered twice, a
    sweep that re-sent it) never plan twice.

    Nothing is probed: a year never imported before is one chunk, asked for whole (the API's
    "more than 10,000" answer splits it as it is imported); a year imported before reuses the
    ranges its last import ended with, so a re-sync asks for each range once. On a first sync
    only the newest new year goes out at once; the older ones are held until it is imported,
    then planned in the ranges it needed (`release_held`), so they are not refused first.
    """
    async with res.pool.acquire() as lock:
        await lock.execute(Q["org_plan_lock"], org_id)
        try:
            if await lock.fetchval(Q["org_plan_covered"], org_id, year):
                logger.info("plan_covered", org_id=org_id, year=year)
                return
            await _plan(res, org_id, year, await lock.fetchval(Q["db_now"]))
        finally:
            await lock.execute(Q["org_plan_unlock"], org_id)


async def _plan(res: Resources, org_id: int, year: int | None, started: dt.datetime) -> None:
    async with res.pool.acquire() as conn:
        found = await target(conn, org_id)
    if found is None:
        return
    _, username = found
    listed: set[int] | None = None
    if year is None:
        years, listed = await _find_years(res.access, org_id, username)
    else:
        years = [year]
    async with res.pool.acquire() as conn, conn.transaction():
        for each in years:  # every year open before any settles, so none settles too early
            on_list = None if listed is None else each in listed
            await conn.execute(Q["year_start"], org_id, each, None, on_list)
        newest_new = True
        for each in years:  # newest first
            fresh = await _plan_year(conn, org_id, each, hold=not newest_new)
            newest_new = newest_new and not fresh
        await plan_completed(conn, org_id, started, year)
        # the registers postings point to, once a sync, beside its chunks
        staged = [await stage(conn, "refresh_registers", org_id)]
        if year is None:  # the webhook subscriptions, with every whole plan (issue 21)
            staged.append(await stage(conn, "care_webhooks", org_id))
    logger.info("sync_planned", org_id=org_id, years=len(years), newest=years[0] if years else None)
    await flush(res.pool, res.broker, staged)
    await dispatch(res, org_id)
    async with res.pool.acquire() as conn, conn.transaction():
        await settle_org(conn, org_id)


async def _plan_year(conn: asyncpg.Connection, org_id: int, year: int, *, hold: bool) -> bool:
    """A year's chunks: the last import's ranges again, or (new: True) the whole year as one,
    held if asked."""
    if await conn.fetchval(Q["year_has_chunks"], org_id, year):
        await conn.execute(Q["year_requeue_chunks"], org_id, year)
        return False
    chunk_id = await insert_chunk(conn, org_id, year, Scope(year_range(year)))
    if hold:
        await conn.execute(Q["chunk_hold"], chunk_id)
    return True


async def _find_years(access: Access, org_id: int, username: int) -> tuple[list[int], set[int]]:
    """The years to import, newest first, and those `ledger/annualAccount` lists.

    A year that holds postings but has no annual account is imported too: one request finds the
    earliest posting before the first listed year (a few more only when over 10,000 lie there).
    """
    this_year = oslo_today().year
    found = await access.call(
        org_id,
        username,
        lambda auth: access.client.annual_account_years(auth, FIRST_YEAR, this_year + 1),
    )
    listed = set(found)
    first_known = min({*listed, this_year})
    earliest = None
    if first_known > FIRST_YEAR:
        earliest = await _earliest_posting(access, org_id, username, FIRST_YEAR, first_known)
    return years_to_import(listed, earliest, this_year), listed


async def _earliest_posting(
    access: Access, org_id: int, username: int, first: int, stop: int
) -> dt.date | None:
    """The date of the earliest posting in years [first, stop), halving while over the cap."""
    span = DateRange(dt.date(first, 1, 1), dt.date(stop, 1, 1))
    try:
        return await access.call(
            org_id,
            username,
            lambda auth: access.client.first_posting_date(auth, span.start, span.end),
        )
    except ResultSetTooLarge:
        if stop - first == 1:
            return span.start
        middle = (first + stop) // 2
        found = await _earliest_posting(access, org_id, username, first, middle)
        return found or await _earliest_posting(access, org_id, username, middle, stop)


async def import_chunk(res: Resources, chunk_id: int, owner: uuid.UUID | None = None) -> None:
    """Lease the chunk, fetch its postings, write them with its status, then dispatch more."""
    owner = owner or uuid.uuid4()
    try:
        async with res.pool.acquire() as conn:
            alive = await res.alive_workers()
            chunk = await conn.fetchrow(
                Q["chunk_claim"], chunk_id, owner, res.options.lease_s, res.worker_id, alive
            )
            if chunk is None and await conn.fetchval(Q["chunk_awaits_takeover"], chunk_id, alive):
                # its worker died, and another chunk whose worker died runs: its turn comes when
                # that one ended (the scheduler would send it only once its lease ran out)
                await asyncio.to_thread(
                    send, res.broker, "import_chunk", chunk_id, delay_ms=TAKEOVER_WAIT_MS
                )
                return
            # done already: perhaps by a worker that died between its commit and what follows
            done = None if chunk else await conn.fetchrow(Q["chunk_done_key"], chunk_id)
            org_of = chunk or done
            found = await target(conn, org_of["org_id"]) if org_of else None
            if chunk is not None and found is None:  # the organization stopped: hand it back
                await conn.execute(Q["chunk_release"], chunk_id, owner)
    except (Exception, asyncio.CancelledError):
        await hand_back(res, chunk_id, owner)  # leased perhaps, the answer lost with the connection
        raise
    if done is not None and found is not None:
        await after_chunk(res, done["org_id"], done["year"])  # what follows runs once: idempotent
        return
    if chunk is None or found is None:
        return  # held by another worker, or the organization stopped
    org_id, year = chunk["org_id"], chunk["year"]
    if chunk["abandoned"] >= DELIVERY_CAP:  # its last deliveries all died with their worker
        await chunk_crashed(res, chunk, owner)
        await after_chunk(res, org_id, year)
        return
    scope = Scope(
        DateRange(chunk["date_from"], chunk["date_to"]),
        AccountRange(chunk["account_from"], chunk["account_to"]),
    )
    testhooks.crash_if_asked(scope.span.start, scope.span.end)
    try:
        await _import_leased(res, LeasedChunk(chunk_id, owner, org_id, year, scope), found[1])
    except (Exception, asyncio.CancelledError) as exc:
        # a failure or a stop: the job's retry (or the message sent again) may lease it at once,
        # instead of finding it held until the lease runs out; a failure's error is kept
        await hand_back(res, chunk_id, owner, exc if isinstance(exc, Exception) else None)
        raise
    await after_chunk(res, org_id, year)


async def _import_leased(res: Resources, chunk: LeasedChunk, username: int) -> None:
    org_id, chunk_id, scope = chunk.org_id, chunk.id, chunk.scope
    access = res.access
    began = time.perf_counter()
    try:
        pages = await access.call(org_id, username, lambda auth: _fetch(access.client, auth, scope))
    except ACCESS_ERRORS as exc:
        async with res.pool.acquire() as conn:
            await conn.execute(Q["chunk_release"], chunk_id, chunk.owner)
        raise await mark_needs_attention(res, org_id, exc) from exc
    except ResultSetTooLarge:
        await _split(res, chunk)
    else:
        fetched = time.perf_counter()
        async with res.pool.acquire() as conn:
            written = await write_chunk(conn, chunk, pages)
        logger.info(
            "chunk_imported",
            org_id=org_id,
            chunk_id=chunk_id,
            scope=scope.label(),
            postings=written.total,
            written=written.written,
            deleted=written.deleted,
            pages=len(pages),
            fetch_s=round(fetched - began, 3),
            write_s=round(time.perf_counter() - fetched, 3),
        )


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


async def _fetch(client: TripletexClient, auth: Auth, scope: Scope) -> list[bytes]:
    """Every page of a chunk's scope, raw, as received."""
    span, accounts = scope.span, scope.accounts
    return [
        page.raw
        async for page in client.iter_raw_postings(auth, span.start, span.end, accounts=accounts)
    ]


async def _split(res: Resources, chunk: LeasedChunk) -> None:
    """Replace a chunk the API refused as over 10,000 results by its next finer scopes."""
    children = split(chunk.scope)
    async with res.pool.acquire() as conn, conn.transaction():
        if not children:
            await conn.execute(
                Q["chunk_fail"],
                chunk.id,
                chunk.owner,
                f"{chunk.scope.label()} alone holds more than 10,000 postings of one account on "
                "one day; the API cannot page it.",
            )
            return
        if await conn.fetchrow(Q["chunk_split"], chunk.id, chunk.owner) is None:
            return
        for child in children:
            await insert_chunk(conn, chunk.org_id, chunk.year, child)
    logger.info(
        "chunk_split",
        org_id=chunk.org_id,
        chunk_id=chunk.id,
        scope=chunk.scope.label(),
        into=len(children),
    )
