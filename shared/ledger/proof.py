"""A year proven against the source: the trial balance computed from our postings and written
beside the source's own balances (shared/ledger/trial_balance.py does the arithmetic).

The opening of a year is our closing of the year before where we computed it, else the source's
opening (the first year held). An account the source starts again from zero at the new year (a
result account closed into equity: the source's opening is 0 where its previous closing was
not) opens at zero in ours too, so either way of keeping result accounts proves.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import asyncpg

from shared.db.queries import Q
from shared.ledger.trial_balance import (
    ApiBalance,
    Movement,
    TrialBalance,
    api_openings,
    trial_balance,
)


async def prove_year(conn: asyncpg.Connection, org_id: int, year: int) -> bool:
    """Compute and store the trial balance of `year`, and again of every later year computed
    before (their openings follow from it); whether `year` agrees with the source to the øre.

    A year the source gave no balances for is not proven (its ledger_proven stays NULL).
    """
    async with conn.transaction():
        # one proof per organization at a time: this one rewrites the later years too
        await conn.execute(Q["trial_balances_lock"], org_id)
        proven = await _prove(conn, org_id, year)
        for row in await conn.fetch(Q["trial_balances_later_years"], org_id, year):
            await _prove(conn, org_id, row["year"])
    return proven


async def _prove(conn: asyncpg.Connection, org_id: int, year: int) -> bool:
    movements = {
        r["account_number"]: Movement(r["debit"], r["credit"])
        for r in await conn.fetch(Q["postings_year_movements"], org_id, year)
    }
    source = await _source(conn, org_id, year)
    ours_before = {
        r["account_number"]: r["closing"]
        for r in await conn.fetch(Q["trial_balances_closings"], org_id, year - 1)
    }
    source_before = await _source(conn, org_id, year - 1)
    balance = trial_balance(year, movements, opening(ours_before, source, source_before), source)
    await _store(conn, org_id, balance)
    proven = balance.proven if source else None
    await conn.execute(Q["year_set_ledger_proof"], org_id, year, proven)
    return bool(proven)


def opening(
    ours_before: Mapping[str, Decimal],
    source: Mapping[str, ApiBalance],
    source_before: Mapping[str, ApiBalance],
) -> dict[str, Decimal]:
    """Each account's opening: our previous closing, or the source's opening where we hold no
    previous year; zero where the source starts the account again from zero."""
    if not ours_before:
        return api_openings(source)
    carried = dict(ours_before)
    for account, balance in source.items():
        before = source_before.get(account)
        if balance.opening == 0 and before is not None and before.closing != 0:
            carried[account] = Decimal(0)
    return carried


async def _source(conn: asyncpg.Connection, org_id: int, year: int) -> dict[str, ApiBalance]:
    rows = await conn.fetch(Q["source_balances_of_year"], org_id, year)
    return {r["account_number"]: ApiBalance(r["opening"], r["closing"]) for r in rows}


async def _store(conn: asyncpg.Connection, org_id: int, balance: TrialBalance) -> None:
    rows = balance.rows
    await conn.execute(Q["trial_balances_clear"], org_id, balance.year)
    await conn.execute(
        Q["trial_balances_insert"],
        org_id,
        balance.year,
        [r.account for r in rows],
        [r.opening for r in rows],
        [r.debit for r in rows],
        [r.credit for r in rows],
        [r.closing for r in rows],
        [r.api_closing for r in rows],
        [r.difference for r in rows],
    )
