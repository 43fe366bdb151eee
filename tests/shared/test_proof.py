"""A year proven against the source: the trial balance written from our postings and the
source's balances, with openings carried from the year before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import asyncpg

from shared.db.queries import Q
from shared.ledger.proof import opening, prove_year
from shared.ledger.trial_balance import ApiBalance


async def _org(pg: asyncpg.Connection, *years: int) -> int:
    org_id: int = await pg.fetchval(Q["org_insert"], "Bøker AS", "api", "tripletex", "synced")
    for year in years:
        await pg.execute(
            "INSERT INTO sync_years (org_id, year, state) VALUES ($1, $2, 'synced')", org_id, year
        )
    return org_id


async def _post(pg: asyncpg.Connection, org_id: int, day: dt.date, *lines: tuple[str, str]) -> None:
    """Postings of one voucher on `day`: (account, amount) each."""
    start = await pg.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id)
    for n, (account, amount) in enumerate(lines, start=start + 1):
        await pg.execute(
            "INSERT INTO postings (org_id, posting_id, posting_date, amount, account_number)"
            " VALUES ($1, $2, $3, $4, $5)",
            org_id,
            n,
            day,
            D(amount),
            account,
        )


async def _source(pg: asyncpg.Connection, org_id: int, year: int, **accounts: str) -> None:
    """The source's balances: account_NNNN="opening closing"."""
    for key, figures in accounts.items():
        start, end = (D(x) for x in figures.split())
        await pg.execute(
            "INSERT INTO source_balances (org_id, year, account_number, opening, movement,"
            " closing) VALUES ($1, $2, $3, $4, $5, $6)",
            org_id,
            year,
            key.removeprefix("a"),
            start,
            end - start,
            end,
        )


async def _rows(pg: asyncpg.Connection, org_id: int, year: int) -> dict[str, tuple[D, ...]]:
    rows = await pg.fetch(
        "SELECT * FROM trial_balances WHERE org_id = $1 AND year = $2", org_id, year
    )
    return {
        r["account_number"]: (r["opening"], r["debit"], r["credit"], r["closing"], r["difference"])
        for r in rows
    }


async def _proven(pg: asyncpg.Connection, org_id: int, year: int) -> bool | None:
    return await pg.fetchval(  # type: ignore[no-any-return]
        "SELECT ledger_proven FROM sync_years WHERE org_id = $1 AND year = $2", org_id, year
    )


async def test_the_first_year_opens_at_the_sources_opening_and_proves(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _org(pg, 2023)
    await _post(pg, org_id, dt.date(2023, 3, 1), ("1920", "100.00"), ("3000", "-100.00"))
    await _source(pg, org_id, 2023, a1920="500.00 600.00", a3000="0 -100.00", a2000="-500 -500")

    assert await prove_year(pg, org_id, 2023) is True
    rows = await _rows(pg, org_id, 2023)
    assert rows["1920"] == (D("500.00"), D("100.00"), D(0), D("600.00"), D(0))
    assert rows["2000"] == (D("-500.00"), D(0), D(0), D("-500.00"), D(0)), "no movement, held"
    assert await _proven(pg, org_id, 2023) is True


async def test_one_ore_missing_is_a_difference_on_that_account_alone(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _org(pg, 2023)
    await _post(pg, org_id, dt.date(2023, 3, 1), ("1920", "100.00"), ("3000", "-100.00"))
    await _source(pg, org_id, 2023, a1920="0 100.01", a3000="0 -100.00")

    assert await prove_year(pg, org_id, 2023) is False
    rows = await _rows(pg, org_id, 2023)
    assert rows["1920"][-1] == D("-0.01")
    assert rows["3000"][-1] == 0
    assert await _proven(pg, org_id, 2023) is False


async def test_the_next_year_opens_at_our_closing_and_result_accounts_the_source_restarts(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _org(pg, 2022, 2023)
    await _post(pg, org_id, dt.date(2022, 5, 1), ("1920", "100.00"), ("3000", "-100.00"))
    await _post(pg, org_id, dt.date(2023, 5, 1), ("1920", "50.00"), ("3000", "-50.00"))
    await _source(pg, org_id, 2022, a1920="0 100.00", a3000="0 -100.00")
    # the source closes the result account into equity: 3000 starts again at zero
    await _source(pg, org_id, 2023, a1920="100.00 150.00", a3000="0 -50.00")

    assert await prove_year(pg, org_id, 2022) is True
    assert await prove_year(pg, org_id, 2023) is True
    rows = await _rows(pg, org_id, 2023)
    assert rows["1920"][0] == D("100.00"), "opened at our own closing of 2022"
    assert rows["3000"][0] == 0


async def test_an_earlier_year_proven_late_carries_into_the_later_one(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _org(pg, 2022, 2023)
    await _post(pg, org_id, dt.date(2022, 5, 1), ("1920", "100.00"), ("3000", "-100.00"))
    await _source(pg, org_id, 2022, a1920="0 100.00", a3000="0 -100.00")
    await _source(pg, org_id, 2023, a1920="100.00 100.00", a3000="-100.00 -100.00")
    assert await prove_year(pg, org_id, 2023) is True, "alone, 2023 opens at the source's opening"
    # one posting of 2022 more than the source has: 2022 differs, and so does 2023 from then on
    await _post(pg, org_id, dt.date(2022, 6, 1), ("1920", "1.00"), ("3000", "-1.00"))

    assert await prove_year(pg, org_id, 2022) is False
    assert await _proven(pg, org_id, 2023) is False, "2023 opens at 2022's closing, recomputed"
    assert (await _rows(pg, org_id, 2023))["1920"][0] == D("101.00")


async def test_a_year_without_the_sources_balances_is_not_proven(pg: asyncpg.Connection) -> None:
    org_id = await _org(pg, 2023)
    await _post(pg, org_id, dt.date(2023, 3, 1), ("1920", "100.00"), ("3000", "-100.00"))

    assert await prove_year(pg, org_id, 2023) is False
    assert await _proven(pg, org_id, 2023) is None
    assert set(await _rows(pg, org_id, 2023)) == {"1920", "3000"}


def test_the_opening_rule() -> None:
    source = {"1920": ApiBalance(D(5), D(9)), "3000": ApiBalance(D(0), D(-1))}
    assert opening({}, source, {}) == {"1920": D(5), "3000": D(0)}
    before = {"1920": ApiBalance(D(0), D(5)), "3000": ApiBalance(D(0), D(-7))}
    assert opening({"1920": D(4), "3000": D(-7)}, source, before) == {"1920": D(4), "3000": D(0)}
