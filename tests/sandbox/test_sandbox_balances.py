"""Over HTTP: `/balanceSheet` and `/ledger` follow from the postings, for every company and year,
and one company starts its first year with the balances of a year the sandbox does not list."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.balances import Balances
from sandbox.ledger import Ledger
from sandbox.scenario import OPENING, Scenario
from shared.ledger.trial_balance import ApiBalance, Movement, api_openings, trial_balance

if TYPE_CHECKING:
    from conftest import Tx

#: companies of the small scenario a token reads over HTTP, and (token label, Basic username);
#: the others (the accounting firm, the broken tokens' companies) are checked in-process below
READERS = {201: ("good", "0"), 202: ("accountant", "202")}
READERS |= {204: ("accountant", "204"), 205: ("accountant", "205")}
CENT = Decimal("0.01")


def _span(year: int) -> dict[str, str]:
    return {"dateFrom": f"{year}-01-01", "dateTo": f"{year + 1}-01-01"}


def _sums(ledger: Ledger, year: int) -> dict[int, Decimal]:
    """The truth: per account, the sum of the year's postings as the posting list serves them."""
    first, stop = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for posting in ledger.postings(first, stop, 0, 10**9):
        sums[posting.account.number] += Decimal(posting.amount) * CENT
    return sums


async def _get(tx: Tx, path: str, reader: tuple[str, str], **params: Any) -> Any:
    """GET as a reader, amounts as Decimal; balance rows name their account's number."""
    if path in ("/balanceSheet", "/ledger"):
        params.setdefault("fields", "*,account(number)")
    token = await tx.session(reader[0])
    url = tx.server.base_url + path
    query = {k: str(v) for k, v in params.items()}
    async with tx.http.get(url, params=query, headers=tx.auth(token, reader[1])) as response:
        assert response.status == 200, await response.text()
        return json.loads(await response.read(), parse_float=Decimal)


async def test_balances_follow_from_the_postings_for_every_company_and_year(tx: Tx) -> None:
    for company_id, reader in READERS.items():
        company = tx.scenario.company(company_id)
        assert company is not None
        ledger = Ledger(company, tx.scenario.seed)
        carried: dict[int, Decimal] = defaultdict(Decimal)
        for number, amount in company.opening:
            carried[number] += Decimal(amount) * CENT
        for year in company.years:
            sheet = await _get(
                tx,
                "/balanceSheet",
                reader,
                includeActiveAccountsWithoutMovements="true",
                **_span(year),
            )
            rows = {row["account"]["number"]: row for row in sheet["values"]}
            moved = _sums(ledger, year)
            assert set(moved) <= set(rows), (company_id, year)
            for number, row in rows.items():
                where = (company_id, year, number)
                assert row["balanceIn"] == carried[number], where
                assert row["balanceChange"] == moved.get(number, 0), where
                assert row["balanceOut"] == row["balanceIn"] + row["balanceChange"], where
                carried[number] = row["balanceOut"]
            assert sum(row["balanceOut"] for row in rows.values()) == 0
            general = await _get(tx, "/ledger", reader, **_span(year))
            closing: dict[int, Decimal] = defaultdict(Decimal)
            for row in general["values"]:
                assert row["closingBalance"] == row["openingBalance"] + row["sumAmount"]
                closing[row["account"]["number"]] += row["closingBalance"]
            assert {n: rows[n]["balanceOut"] for n in closing} == dict(closing), (company_id, year)


def test_every_company_s_balances_are_its_postings_in_process(small_scenario: Scenario) -> None:
    for company in small_scenario.companies:
        ledger = Ledger(company, small_scenario.seed)
        balances = Balances(ledger)
        carried: dict[int, Decimal] = defaultdict(Decimal)
        for number, amount in company.opening:
            carried[number] += Decimal(amount) * CENT
        for year in company.years:
            first = date(year, 1, 1).toordinal()
            opening: dict[int, Decimal] = defaultdict(Decimal)
            for (number, _), (amount, _) in balances.opening(first).items():
                opening[number] += Decimal(amount) * CENT
            assert {n: v for n, v in opening.items() if v} == {
                n: v for n, v in carried.items() if v
            }, (company.id, year)
            for number, amount in _sums(ledger, year).items():
                carried[number] += amount


async def test_the_first_year_opens_with_the_balances_of_a_year_not_listed(tx: Tx) -> None:
    company = tx.scenario.company(201)
    assert company is not None
    assert company.opening == OPENING
    first = company.years[0]
    sheet = await _get(tx, "/balanceSheet", READERS[201], **_span(first))
    opened = {row["account"]["number"]: row["balanceIn"] for row in sheet["values"]}
    assert {n: v for n, v in opened.items() if v} == {n: Decimal(a) * CENT for n, a in OPENING}
    years = await _get(tx, "/ledger/annualAccount", READERS[201])
    assert first - 1 not in {a["year"] for a in years["values"]}
    before = await _get(tx, "/ledger/posting", READERS[201], **_span(first - 1))
    assert before["values"] == [], "the year before is held, but its postings are not served"
    other = await _get(tx, "/balanceSheet", READERS[202], **_span(2019))
    assert all(row["balanceIn"] == 0 for row in other["values"]), "others start from zero"


async def test_the_balance_sheet_lists_accounts_as_asked(tx: Tx) -> None:
    span = _span(2023)
    moved = await _get(tx, "/balanceSheet", READERS[201], **span)
    every = await _get(
        tx, "/balanceSheet", READERS[201], includeActiveAccountsWithoutMovements="true", **span
    )
    accounts = await _get(tx, "/ledger/account", READERS[201])
    active = {a["number"] for a in accounts["values"] if not a["isInactive"]}
    listed = {row["account"]["number"] for row in every["values"]}
    assert listed == active, "every active account, and no inactive one"
    quiet = {row["account"]["number"] for row in moved["values"]}
    assert quiet < listed
    idle = [r for r in every["values"] if r["account"]["number"] not in quiet]
    assert idle
    assert all(r["balanceIn"] == r["balanceChange"] == r["balanceOut"] == 0 for r in idle)
    assert {r["startDate"] for r in moved["values"]} == {"2023-01-01"}
    assert {r["endDate"] for r in moved["values"]} == {"2024-01-01"}, "endDate is exclusive"
    some = await _get(
        tx, "/balanceSheet", READERS[201], accountNumberFrom=1900, accountNumberTo=2000, **span
    )
    assert {row["account"]["number"] for row in some["values"]} <= set(range(1900, 2000))
    token = await tx.session()
    response, _ = await tx.get("/balanceSheet", token, projectId=1, **span)
    assert response.status == 422


async def test_a_changed_posting_moves_its_year_and_the_next_years_opening(fresh: Tx) -> None:
    reader = READERS[201]
    before = await _get(
        fresh, "/ledger/posting", reader, count=1, fields="id,amount,account(number)", **_span(2023)
    )
    posting = before["values"][0]
    number = posting["account"]["number"]
    sheets = {
        year: await _get(
            fresh,
            "/balanceSheet",
            reader,
            accountNumberFrom=number,
            accountNumberTo=number + 1,
            **_span(year),
        )
        for year in (2023, 2024)
    }
    body = {"amount": str(posting["amount"] + Decimal("12.34"))}
    status, _ = await fresh.control("PATCH", f"/companies/201/postings/{posting['id']}", body)
    assert status == 200
    for year, shift_in, shift_change in ((2023, 0, "12.34"), (2024, "12.34", 0)):
        after = await _get(
            fresh,
            "/balanceSheet",
            reader,
            accountNumberFrom=number,
            accountNumberTo=number + 1,
            **_span(year),
        )
        old, new = sheets[year]["values"][0], after["values"][0]
        assert new["balanceIn"] - old["balanceIn"] == Decimal(shift_in)
        assert new["balanceChange"] - old["balanceChange"] == Decimal(shift_change)


async def _our_movements(tx: Tx, reader: tuple[str, str], year: int) -> dict[str, Movement]:
    """Debit and credit per account from the year's postings, as an import would read them."""
    page = await _get(
        tx, "/ledger/posting", reader, count=10_000, fields="amount,account(number)", **_span(year)
    )
    assert len(page["values"]) < 10_000
    debit: dict[str, Decimal] = defaultdict(Decimal)
    credit: dict[str, Decimal] = defaultdict(Decimal)
    for posting in page["values"]:
        number, amount = str(posting["account"]["number"]), posting["amount"]
        if amount > 0:
            debit[number] += amount
        else:
            credit[number] -= amount
    return {n: Movement(debit[n], credit[n]) for n in set(debit) | set(credit)}


async def _api_balances(tx: Tx, reader: tuple[str, str], year: int) -> dict[str, ApiBalance]:
    sheet = await _get(
        tx, "/balanceSheet", reader, includeActiveAccountsWithoutMovements="true", **_span(year)
    )
    return {
        str(row["account"]["number"]): ApiBalance(row["balanceIn"], row["balanceOut"])
        for row in sheet["values"]
    }


async def test_the_trial_balance_of_every_year_proves_until_the_source_changes(fresh: Tx) -> None:
    reader = READERS[201]
    company = fresh.scenario.company(201)
    assert company is not None
    ours = {year: await _our_movements(fresh, reader, year) for year in company.years}
    opening: dict[str, Decimal] = {}
    for year in company.years:
        api = await _api_balances(fresh, reader, year)
        opening = opening or api_openings(api)
        proved = trial_balance(year, ours[year], opening, api)
        assert proved.proven, proved.differing
        assert any(row.opening for row in proved.rows)
        opening = proved.closings()
    fields = "id,amount,account(number)"
    page = await _get(fresh, "/ledger/posting", reader, count=1, fields=fields, **_span(2023))
    victim = page["values"][0]
    body = {"amount": str(victim["amount"] + Decimal("12.34"))}
    status, _ = await fresh.control("PATCH", f"/companies/201/postings/{victim['id']}", body)
    assert status == 200
    opening = {}
    for year in company.years:
        api = await _api_balances(fresh, reader, year)
        opening = opening or api_openings(api)
        stale = trial_balance(year, ours[year], opening, api)
        if year < 2023:
            assert stale.proven
        else:
            assert [(r.account, r.difference) for r in stale.differing] == [
                (str(victim["account"]["number"]), Decimal("-12.34"))
            ], year
        opening = stale.closings()
