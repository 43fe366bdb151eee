"""The `poll_org` job: an organization's checksum probes, and its nightly pass.

A poll probes the recent ranges (`ranges.is_recent`); a nightly pass every range of the current
and previous year, and older years' by turns (`ranges.in_nightly_pass`); one request each
(`If-None-Match`; a 304 costs nothing more). Whether a range changed is decided by our own hash
of its vouchers' ids and versions (where the API gives no checksums, `freshness.checksums` says
'unsupported', for `org show`); a range's first probe is compared with the vouchers and versions
our postings hold. A changed range is imported again through the normal chunk path: its year
re-opened (as a refresh) and the year's chunks overlapping it sent again, then reconciled as any
import. The nightly pass also proves the years changed since their last proof and refreshes the
registers (unless master-data webhooks keep them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import asyncpg
import structlog

from shared.db.queries import Q
from shared.orgs import settle_org
from shared.orgs.state import request_plan
from shared.outbox import flush, stage
from shared.queue import send
from worker.freshness import store
from worker.freshness.ranges import in_nightly_pass, is_recent
from worker.freshness.store import StoredRange
from worker.ledger import balances
from worker.resources import Resources
from worker.sync.progress import dispatch, target
from worker.tripletex.changes import probe_vouchers
from worker.tripletex.errors import Forbidden, NotFound, ResultSetTooLarge
from worker.tripletex.events import MASTER_EVENTS, Probe, content_hash
from worker.tripletex.protocol import oslo_today

logger = structlog.get_logger(__name__)


async def poll_org(res: Resources, org_id: int, nightly: bool, full: bool = False) -> None:
    """Probe the organization's recent ranges (tonight's when `nightly`, every one when `full`:
    after a webhook subscription was lost, a change may lie anywhere), one poll at a time
    per organization: a poll finding another under way leaves it to that one; a nightly pass
    waits for it."""
    async with res.pool.acquire() as lock:
        if nightly or full:
            await lock.execute(Q["poll_ranges_lock"], org_id)
        elif not await lock.fetchval(Q["poll_ranges_try_lock"], org_id):
            logger.info("poll_skipped", org_id=org_id, reason="another poll is under way")
            return
        try:
            await _poll(res, org_id, nightly, full)
        finally:
            await lock.execute(Q["poll_ranges_unlock"], org_id)


async def _poll(res: Resources, org_id: int, nightly: bool, full: bool) -> None:
    async with res.pool.acquire() as conn:
        found = await target(conn, org_id)
        if found is None:
            return  # stopped, or no company
        await conn.execute(Q["freshness_ensure"], org_id)
        years = {r["year"]: r["state"] for r in await conn.fetch(Q["years_of_org"], org_id)}
        rows = await store.refresh(conn, org_id, years)
    today = oslo_today()
    await _plan_new_year(res, org_id, years, today.year)
    due = [
        r
        for r in rows
        if years.get(r.span.year) == "synced"
        and (full or (in_nightly_pass(r.span, today) if nightly else is_recent(r.span, today)))
    ]
    probes, changed = await _probe_all(res, org_id, found[1], due)
    source = "nightly" if nightly else "poll"
    if changed:
        await _reimport(res, org_id, changed, source)
    async with res.pool.acquire() as conn:
        await conn.execute(Q["freshness_recent_checked"], org_id)
    proven = await _nightly_extras(res, org_id, found) if nightly else 0
    logger.info(
        "org_polled",
        org_id=org_id,
        source=source,
        ranges=len(due),
        probes=probes,
        changed=[r.span.label() for r in changed],
        proven_years=proven,
    )


async def _plan_new_year(res: Resources, org_id: int, years: Mapping[int, str], year: int) -> None:
    """A year begun since the last plan (the new year) is planned and imported like the others."""
    if year in years or not years:
        return
    async with res.pool.acquire() as conn, conn.transaction():
        await request_plan(conn, org_id)
        staged = await stage(conn, "plan_sync", org_id, year)
    await flush(res.pool, res.broker, [staged])


async def _probe_all(
    res: Resources, org_id: int, username: int, due: list[StoredRange]
) -> tuple[int, list[StoredRange]]:
    """Probe the ranges one after another (halving those too large); (requests, changed ones)."""
    queue, changed, probes = list(due), [], 0
    while queue:
        row = queue.pop(0)
        probe = await _probe(res, org_id, username, row)
        probes += 1
        async with res.pool.acquire() as conn:
            if probe is None or not probe.complete:
                halves = await store.halve(conn, org_id, row)
                if not halves:
                    logger.warning("poll_range_too_large", org_id=org_id, span=row.span.label())
                queue[:0] = halves
                continue
            is_changed = await _changed(conn, org_id, row, probe)
            await store.record(conn, org_id, row, probe, is_changed)
        if is_changed:
            changed.append(row)
    return probes, changed


async def _probe(res: Resources, org_id: int, username: int, row: StoredRange) -> Probe | None:
    """One request (rate-limited and with the session kept alive, as every call); None when
    the API refuses the range as too large."""
    client, span = res.access.client, (row.span.start, row.span.end)
    try:
        return await res.access.call(
            org_id,
            username,
            lambda auth: probe_vouchers(client, auth, span, row.digest, row.content_hash),
        )
    except ResultSetTooLarge:
        return None


async def _changed(conn: asyncpg.Connection, org_id: int, row: StoredRange, probe: Probe) -> bool:
    """Whether a probed range must be imported again. A first probe (nothing stored to compare
    with) is compared with the vouchers our postings hold there, ids and versions: a change made
    since the import is found, and an unchanged range costs nothing more."""
    if probe.unchanged:
        return False
    if not row.first:
        return True
    held = await conn.fetch(Q["postings_vouchers_between"], org_id, row.span.start, row.span.end)
    return probe.content_hash != content_hash([dict(r) for r in held])


async def _reimport(res: Resources, org_id: int, changed: list[StoredRange], source: str) -> None:
    """Re-open the changed ranges' years and send their overlapping chunks again (one
    transaction), say what changed, then dispatch."""
    labels = ", ".join(r.span.label() for r in changed)
    async with res.pool.acquire() as conn, conn.transaction():
        requeued = 0
        for year in sorted({r.span.year for r in changed}):
            ids = [
                row["id"]
                for r in changed
                if r.span.year == year
                for row in await conn.fetch(
                    Q["year_requeue_chunks_between"], org_id, year, r.span.start, r.span.end
                )
            ]
            if ids:
                await conn.execute(Q["year_start"], org_id, year, None, None)
                await conn.execute(Q["year_mark_refresh"], org_id, year)
            requeued += len(ids)
        await conn.execute(Q["freshness_change"], org_id, source, f"{labels}: vouchers changed")
        await settle_org(conn, org_id)
    logger.info("poll_reimport", org_id=org_id, ranges=labels, chunks=requeued, source=source)
    await dispatch(res, org_id)


async def _nightly_extras(res: Resources, org_id: int, found: tuple[int, int]) -> int:
    """Prove the years changed since their last proof (or never proven), refresh the registers
    (unless webhooks keep every one of them), and mark the night done; how many years were
    proven. (The subscriptions' own care is hourly: the scheduler's.)"""
    company_id, username = found
    async with res.pool.acquire() as conn:
        years = [r["year"] for r in await conn.fetch(Q["years_to_prove"], org_id)]
        hooked = {
            r["event"]
            for r in await conn.fetch(Q["webhook_subscriptions_of_org"], org_id)
            if r["status"] == "active"
        }
    for year in years:
        try:
            sheet = await balances.fetch_year(res, org_id, username, year)
        except (Forbidden, NotFound) as exc:
            logger.warning("balance_sheet_refused", org_id=org_id, year=year, error=str(exc))
            continue
        await balances.store_and_prove(res, org_id, company_id, year, sheet)
    if not hooked >= set(MASTER_EVENTS):  # each register change is delivered otherwise
        await asyncio.to_thread(send, res.broker, "refresh_registers", org_id)
    async with res.pool.acquire() as conn:
        await conn.execute(Q["freshness_nightly_done"], org_id)
    return len(years)
