"""shared/ledger/reports: the stored trial balance, postings with dimensions by name, a voucher,
and the command line's year, month and account parsing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import asyncpg
import pytest
from ledger_seed import CHECKED_AT, seed_books

from shared.errors import BadInput
from shared.ledger import reports


async def _org(pg: asyncpg.Connection) -> asyncpg.Record:
    org_id = await seed_books(pg)
    return await pg.fetchrow("SELECT id, name, method FROM organizations WHERE id = $1", org_id)


async def test_a_proven_year_reads_back_sorted_with_names_and_types(pg: asyncpg.Connection) -> None:
    org = await _org(pg)
    found = await reports.trial_balance(pg, org, 2024)
    assert found.computed
    assert found.proven
    assert found.checked_at == CHECKED_AT
    assert found.source == "Tripletex"
    assert [x.account for x in found.lines] == [
        "1500",
        "1920",
        "2050",
        "2400",
        "3000",
        "4000",
        "7790",
    ]
    bank = found.lines[1]
    assert (bank.name, bank.account_type) == ("Bankinnskudd", "ASSETS")
    assert (bank.opening, bank.debit, bank.credit, bank.closing) == (
        Decimal("10000.00"),
        Decimal("1250.00"),
        Decimal("0.00"),
        Decimal("11250.00"),
    )
    assert found.lines[-1].source_closing is None
    assert found.lines[-1].agrees
    assert found.totals.debit == found.totals.credit == Decimal("2900.00")
    assert found.differing == ()


async def test_a_differing_year_names_its_accounts(pg: asyncpg.Connection) -> None:
    found = await reports.trial_balance(pg, await _org(pg), 2023)
    assert not found.proven
    assert [(x.account, x.difference) for x in found.differing] == [("1920", Decimal("200.00"))]


async def test_a_year_without_a_trial_balance_is_not_computed(pg: asyncpg.Connection) -> None:
    found = await reports.trial_balance(pg, await _org(pg), 2025)
    assert not found.computed
    assert not found.proven
    assert found.lines == ()


async def test_a_year_not_held_is_bad_input_naming_the_years_held(pg: asyncpg.Connection) -> None:
    with pytest.raises(BadInput, match=r"holds no year 2019 \(it holds: 2023, 2024, 2025\)"):
        await reports.trial_balance(pg, await _org(pg), 2019)


async def test_postings_of_an_account_and_month_carry_dimensions_by_name(
    pg: asyncpg.Connection,
) -> None:
    org = await _org(pg)
    found = await reports.postings(pg, org["id"], account="3000", month=dt.date(2024, 3, 1))
    assert len(found) == 1
    sale = found[0]
    assert (sale.date, sale.voucher_number, sale.description, sale.amount) == (
        dt.date(2024, 3, 5),
        "1",
        "Faktura 1001",
        Decimal("-1250.00"),
    )
    assert [(d.label, d.name) for d in sale.dimensions] == [
        ("Customer", "Kunde AS"),
        ("Department", "Salg"),
        ("Project", "Nybygg"),
        ("Region", "Nord"),
    ]
    assert await reports.postings(pg, org["id"], account="3000", month=dt.date(2024, 4, 1)) == ()
    march = await reports.postings(pg, org["id"], account=None, month=dt.date(2024, 3, 1))
    assert [p.posting_id for p in march] == [1, 2, 3, 4]


async def test_months_of_an_account_and_one_voucher(pg: asyncpg.Connection) -> None:
    org = await _org(pg)
    months = await reports.account_months(pg, org["id"], "1500", 2024)
    assert months == (
        reports.MonthTotal(dt.date(2024, 3, 1), 2, Decimal("1250.00"), Decimal("1250.00")),
    )
    found = await reports.voucher(pg, org["id"], 501)
    assert found is not None
    assert (found.number, found.year, found.voucher_type) == ("1", 2024, "Utgående faktura")
    assert [(p.account, p.amount) for p in found.postings] == [
        ("1500", Decimal("1250.00")),
        ("3000", Decimal("-1250.00")),
    ]
    assert await reports.voucher(pg, org["id"], 999) is None


async def test_an_unknown_account_is_bad_input(pg: asyncpg.Connection) -> None:
    org = await _org(pg)
    assert await reports.account_name(pg, org, "7790") == "Annen kostnad"
    with pytest.raises(BadInput, match="has no account 9999"):
        await reports.account_name(pg, org, "9999")


@pytest.mark.parametrize("text", ["24", "2024-03", "abcd", "１９９９", "0999", "99999", ""])
def test_bad_years_are_one_sentence(text: str) -> None:
    with pytest.raises(BadInput, match=r"^--year takes a year"):
        reports.parse_year(text)


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-3", "2024/03", "march", "2024-03-01"])
def test_bad_months_are_one_sentence(text: str) -> None:
    with pytest.raises(BadInput, match=r"^--month takes a month as YYYY-MM"):
        reports.parse_month(text)


def test_months_and_accounts_parse() -> None:
    assert reports.parse_month("2024-12") == dt.date(2024, 12, 1)
    assert reports.next_month(dt.date(2024, 12, 1)) == dt.date(2025, 1, 1)
    assert reports.parse_account(" 1920 ") == "1920"
    with pytest.raises(BadInput, match=r"^--account takes an account number"):
        reports.parse_account("19 20")
