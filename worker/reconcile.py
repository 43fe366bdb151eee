"""Reconcile a year: the API's per-account sums against the database's.

A mismatch imports the year once more; a second mismatch fails the year with the difference.
"""

from __future__ import annotations

from decimal import Decimal

import structlog

from shared.db.queries import Q
from worker.importer import dispatch, settle_org, target
from worker.planner import year_range
from worker.resources import Resources

logger = structlog.get_logger(__name__)

#: accounts listed in a difference text, at most
SHOWN_ACCOUNTS = 5


def differences(api: dict[str, Decimal], db: dict[str, Decimal]) -> dict[str, Decimal]:
    """Per account, API minus database, where they differ (zero sums count as absent)."""
    accounts = {a for a, v in api.items() if v} | {a for a, v in db.items() if v}
    found = {a: api.get(a, Decimal(0)) - db.get(a, Decimal(0)) for a in accounts}
    return {a: d for a, d in sorted(found.items()) if d}


def describe(diff: dict[str, Decimal]) -> str:
    """One sentence naming the accounts that differ."""
    shown = ", ".join(f"{a}: {d:+}" for a, d in list(diff.items())[:SHOWN_ACCOUNTS])
    more = f" and {len(diff) - SHOWN_ACCOUNTS} more" if len(diff) > SHOWN_ACCOUNTS else ""
    return f"{len(diff)} account(s) differ from Tripletex (API minus database): {shown}{more}."


async def reconcile_year(res: Resources, org_id: int, year: int) -> None:
    """Compare, then settle the year (synced, one more import, or failed) and the organization."""
    async with res.pool.acquire() as conn:
        row = await conn.fetchrow(Q["year_by_key"], org_id, year)
        found = await target(conn, org_id)
    if row is None or row["state"] != "reconciling" or found is None:
        return
    span = year_range(year)
    api = await res.access.call(
        org_id, found[1], lambda auth: res.access.client.ledger_sums(auth, span.start, span.end)
    )
    async with res.pool.acquire() as conn:
        rows = await conn.fetch(Q["postings_account_sums"], org_id, span.start, span.end)
    diff = differences(api, {r["account_number"]: r["total"] for r in rows})
    async with res.pool.acquire() as conn, conn.transaction():
        # one settlement per organization at a time, so the last one sees every year's outcome
        await conn.fetchrow(Q["org_lock"], org_id)
        if not diff:
            await conn.execute(Q["year_settle"], org_id, year, "synced", None)
        elif await conn.fetchrow(Q["year_retry_after_mismatch"], org_id, year, describe(diff)):
            await conn.execute(Q["year_requeue_chunks"], org_id, year)
        else:
            await conn.execute(Q["year_settle"], org_id, year, "failed", describe(diff))
        await settle_org(conn, org_id)
    logger.info("year_reconciled", org_id=org_id, year=year, accounts_differing=len(diff))
    if diff:
        await dispatch(res, org_id)
