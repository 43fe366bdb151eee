"""The `apply_deliveries` job: an organization's waiting deliveries made into postings.

The queue row goes first, so deliveries arriving meanwhile queue a new message. Each voucher the
deliveries name is fetched once (its newest state, whichever event named it) and applied in a
transaction of its own with the deliveries that named it; a worker dying half-way leaves the
rest unapplied for the next run (the receiver's next delivery, or the scheduler's sweep).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

import asyncpg
import structlog

from shared.db.queries import Q
from worker.ledger import masterdata
from worker.onboarding import ACCESS_ERRORS, mark_needs_attention
from worker.resources import Resources
from worker.sync.progress import target
from worker.tripletex import changes
from worker.tripletex.events import MASTER_EVENTS
from worker.webhooks.store import CompanyChanged, Fetched, apply_voucher

logger = structlog.get_logger(__name__)

#: the events whose object is a voucher (create, update, delete)
VOUCHER_PREFIX = "voucher."


async def apply_deliveries(res: Resources, org_id: int) -> None:
    """Apply every waiting delivery of the organization: a voucher's made into its postings, a
    master-data object's by refreshing its register (one request a register, however many of
    its objects the deliveries name); an event of neither kind is marked ignored."""
    async with res.pool.acquire() as conn:
        await conn.execute(Q["webhook_queue_take"], org_id)
        pending = await conn.fetch(Q["webhook_deliveries_pending"], org_id)
        found = await target(conn, org_id)
    if not pending or found is None:
        return  # nothing waits, or the organization stopped: its next sync covers it
    company_id, username = found
    vouchers: dict[int, list[int]] = defaultdict(list)
    others: list[asyncpg.Record] = []
    for row in pending:
        if row["event"].startswith(VOUCHER_PREFIX):
            vouchers[row["object_id"]].append(row["id"])
        else:
            others.append(row)
    if others:
        await _refresh_registers(res, org_id, others)
    began = time.perf_counter()
    for voucher_id, deliveries in vouchers.items():
        await _apply_one(res, org_id, (company_id, username), voucher_id, deliveries)
    logger.info(
        "deliveries_applied",
        org_id=org_id,
        vouchers=len(vouchers),
        others=len(others),
        seconds=round(time.perf_counter() - began, 3),
    )


async def _apply_one(
    res: Resources,
    org_id: int,
    company: tuple[int, int],
    voucher_id: int,
    deliveries: Sequence[int],
) -> None:
    """Fetch one voucher (None: gone) and apply it with the deliveries that named it."""
    company_id, username = company
    access = res.access
    try:
        body = await access.call(
            org_id, username, lambda auth: changes.voucher_raw(access.client, auth, voucher_id)
        )
    except ACCESS_ERRORS as exc:
        raise await mark_needs_attention(res, org_id, exc) from exc
    try:
        async with res.pool.acquire() as conn:
            fetched = Fetched(voucher_id, body)
            applied = await apply_voucher(conn, org_id, company_id, fetched, deliveries)
    except CompanyChanged:
        logger.info("delivery_dropped", org_id=org_id, voucher_id=voucher_id, reason="company")
        return
    except (ValueError, asyncpg.DataError) as exc:  # not a voucher, or not whole JSON
        await _mark(res, org_id, deliveries, "unreadable")
        logger.warning("delivery_unreadable", org_id=org_id, voucher_id=voucher_id, error=str(exc))
        return
    logger.info(
        "voucher_applied",
        org_id=org_id,
        voucher_id=voucher_id,
        deliveries=len(deliveries),
        outcome=applied.outcome,
        what=applied.what,
    )


async def _mark(res: Resources, org_id: int, deliveries: Sequence[int], outcome: str) -> None:
    async with res.pool.acquire() as conn:
        await conn.execute(Q["webhook_deliveries_applied"], org_id, list(deliveries), outcome)


async def _refresh_registers(res: Resources, org_id: int, rows: Sequence[asyncpg.Record]) -> None:
    """Refresh the registers the master-data deliveries name, then mark them applied."""
    tables = frozenset(MASTER_EVENTS[r["event"]] for r in rows if r["event"] in MASTER_EVENTS)
    if tables:
        await masterdata.refresh_registers(res, org_id, tables)
    named = [r["id"] for r in rows if r["event"] in MASTER_EVENTS]
    ignored = [r["id"] for r in rows if r["event"] not in MASTER_EVENTS]
    async with res.pool.acquire() as conn, conn.transaction():
        if named:
            await conn.execute(Q["webhook_deliveries_applied"], org_id, named, "register refreshed")
            what = ", ".join(
                sorted({f"{r['event']} {r['object_id']}" for r in rows if r["id"] in named})
            )
            await conn.execute(
                Q["webhook_freshness_record"],
                org_id,
                f"{what}: {', '.join(sorted(tables))} refreshed",
            )
        if ignored:
            await conn.execute(Q["webhook_deliveries_applied"], org_id, ignored, "ignored")
