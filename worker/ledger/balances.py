"""Each year's balances as the API states them, stored beside our postings and proven.

One `GET /balanceSheet` per year (dateFrom/dateTo = the year, `dateTo` exclusive) gives every
account's balance in, change and balance out: kept as given in `source_balances`, its changes are
what the year's reconcile compares our sums with (the request `/ledger` made before), and
`shared.ledger.proof.prove_year` sets the year's trial balance beside it.
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from shared.db.queries import Q
from shared.ledger.proof import prove_year
from worker.resources import Resources
from worker.sync.plan import year_range
from worker.tripletex.protocol import BalanceRow


async def fetch_year(res: Resources, org_id: int, username: int, year: int) -> list[BalanceRow]:
    """The API's balance sheet of a year (raises `Forbidden`/`NotFound` where it will not)."""
    span, client = year_range(year), res.access.client
    return await res.access.call(
        org_id, username, lambda auth: client.balance_sheet(auth, span.start, span.end)
    )


def movements(rows: list[BalanceRow]) -> dict[str, Decimal]:
    """Per account number, the year's change: the API's sum of its postings."""
    found: dict[str, Decimal] = {}
    for row in rows:
        found[row.account] = found.get(row.account, Decimal(0)) + row.movement
    return found


def by_account(rows: list[BalanceRow]) -> list[BalanceRow]:
    """One row per account (an account listed twice is added up), in the order first listed."""
    found: dict[str, BalanceRow] = {}
    for row in rows:
        seen = found.get(row.account)
        found[row.account] = (
            row
            if seen is None
            else BalanceRow(
                row.account,
                seen.opening + row.opening,
                seen.movement + row.movement,
                seen.closing + row.closing,
            )
        )
    return list(found.values())


async def store_year(
    conn: asyncpg.Connection, org_id: int, year: int, rows: list[BalanceRow]
) -> None:
    """Replace the year's source balances with these (in the caller's transaction)."""
    rows = by_account(rows)
    await conn.execute(Q["source_balances_clear"], org_id, year)
    await conn.execute(
        Q["source_balances_insert"],
        org_id,
        year,
        [r.account for r in rows],
        [r.opening for r in rows],
        [r.movement for r in rows],
        [r.closing for r in rows],
    )


async def store_and_prove(
    res: Resources, org_id: int, company_id: int, year: int, rows: list[BalanceRow]
) -> bool | None:
    """Keep the API's balances of the year, then prove the year (and the later years computed
    before) against them, in one transaction and one at a time per organization (the years of
    a sync are reconciled side by side): whether the year agrees to the øre; None when the
    organization reads another company by now (nothing is written)."""
    async with res.pool.acquire() as conn, conn.transaction():
        # first, and held until commit: the company read is still the organization's
        if await conn.fetchval(Q["org_company_fence"], org_id, company_id) is None:
            return None
        await conn.execute(Q["trial_balances_lock"], org_id)
        await store_year(conn, org_id, year, rows)
        return await prove_year(conn, org_id, year)
