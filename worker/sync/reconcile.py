"""Reconcile a year: the API's per-account sums against the database's.

The API's sums are the changes of its balance sheet for the year (`GET /balanceSheet`, one
request, whose balances are kept and the year's trial balance proven against them; see
worker/ledger/balances.py); where it refuses that (403 or 404), `GET /ledger`'s sums as before.
A mismatch imports the year once more; a second mismatch fails the year with the difference.
Where the API will give neither (403 or 404), the year is imported but not proven, and says so:
that is not a failure.
"""

from __future__ import annotations

from decimal import Decimal

import structlog

from shared.db.queries import Q
from shared.orgs import settle_org
from worker.ledger import balances
from worker.resources import Resources
from worker.sync.plan import year_range
from worker.sync.progress import dispatch, target
from worker.tripletex.errors import Forbidden, NotFound
from worker.tripletex.protocol import BalanceRow

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
    async with res.pool.acquire() as conn:
        imported = await conn.fetchval(Q["year_imported"], org_id, year)
    sheet = await _balance_sheet(res, org_id, found, year)
    if not imported:  # the API's own pages said the year is empty: nothing to sum
        await _settle(res, org_id, year, proven=True)
        return
    try:
        diff = await _differences(res, org_id, found[1], year, sheet)
    except (Forbidden, NotFound) as exc:
        await _settle_unproven(res, org_id, year, exc)
        return
    async with res.pool.acquire() as conn, conn.transaction():
        # one settlement per organization at a time, so the last one sees every year's outcome
        await conn.fetchrow(Q["org_lock"], org_id)
        if not diff:
            await conn.execute(Q["year_settle"], org_id, year, "synced", None, True, None)
        elif await conn.fetchrow(Q["year_retry_after_mismatch"], org_id, year, describe(diff)):
            await conn.execute(Q["year_requeue_chunks"], org_id, year)
        elif row["refreshing"]:  # changed again while it was imported: the next poll sees it
            note = "changed at Tripletex while it was imported again; the next poll imports it"
            await conn.execute(
                Q["year_settle"], org_id, year, "synced", describe(diff), False, note
            )
        else:
            await conn.execute(
                Q["year_settle"], org_id, year, "failed", describe(diff), False, None
            )
        await settle_org(conn, org_id)
    logger.info("year_reconciled", org_id=org_id, year=year, accounts_differing=len(diff))
    if diff:
        await dispatch(res, org_id)


async def _balance_sheet(
    res: Resources, org_id: int, found: tuple[int, int], year: int
) -> list[BalanceRow] | None:
    """The API's balances of the year, kept and the year proven against them; None where the
    API refuses them (403/404: the year is then reconciled with `/ledger`'s sums alone)."""
    try:
        sheet = await balances.fetch_year(res, org_id, found[1], year)
    except (Forbidden, NotFound) as exc:
        logger.warning("balance_sheet_refused", org_id=org_id, year=year, error=str(exc))
        return None
    proven = await balances.store_and_prove(res, org_id, found[0], year, sheet)
    logger.info("year_ledger_proven", org_id=org_id, year=year, proven=proven)
    return sheet


async def _differences(
    res: Resources, org_id: int, username: int, year: int, sheet: list[BalanceRow] | None
) -> dict[str, Decimal]:
    """Per account, the API's sums of the year minus ours where they differ.

    The balance sheet's changes first (no request more); where they differ, `/ledger`'s sums
    decide, as they did before (the balance sheet is BETA: a difference of its own must not
    import a year again or fail it). Raises `Forbidden`/`NotFound` when the API gives neither.
    """
    span, client = year_range(year), res.access.client
    async with res.pool.acquire() as conn:
        rows = await conn.fetch(Q["postings_account_sums"], org_id, span.start, span.end)
    ours = {r["account_number"]: r["total"] for r in rows}
    if sheet is not None:
        diff = differences(balances.movements(sheet), ours)
        if not diff:
            return diff
    try:
        api = await res.access.call(
            org_id, username, lambda auth: client.ledger_sums(auth, span.start, span.end)
        )
    except (Forbidden, NotFound):
        if sheet is not None:
            return diff
        raise
    return differences(api, ours)


async def _settle_unproven(res: Resources, org_id: int, year: int, exc: Exception) -> None:
    """The year is imported, but Tripletex would not give its own sums to prove it."""
    status = 403 if isinstance(exc, Forbidden) else 404
    note = (
        f"Not proven: Tripletex would not give its own per-account sums for {year} ({status} on "
        "GET /balanceSheet and GET /ledger); the postings are imported but unchecked. Give the "
        "token access to the general ledger report to prove them."
    )
    await _settle(res, org_id, year, proven=False, note=note)
    logger.warning("year_unproven", org_id=org_id, year=year, status=status)


async def _settle(
    res: Resources, org_id: int, year: int, *, proven: bool, note: str | None = None
) -> None:
    """The year is synced (proven or not), and the organization settles."""
    async with res.pool.acquire() as conn, conn.transaction():
        await conn.fetchrow(Q["org_lock"], org_id)
        await conn.execute(Q["year_settle"], org_id, year, "synced", None, proven, note)
        await settle_org(conn, org_id)
