"""Over HTTP: accountNumberFrom/accountNumberTo on /ledger/posting, with paging, cache and cap."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sandbox.ledger import Ledger

if TYPE_CHECKING:
    from conftest import Tx

#: a busy month of company 202 in the small scenario: about 11,000 postings
MONTH = {"dateFrom": "2023-03-01", "dateTo": "2023-04-01"}
DAY = {"dateFrom": "2023-03-15", "dateTo": "2023-03-16"}
FIELDS = "id,account(number)"


def _numbers(tx: Tx, company_id: int, span: dict[str, str]) -> list[tuple[int, int]]:
    """(id, account number) of every posting of a range, in the default order, from the data."""
    company = tx.scenario.company(company_id)
    assert company is not None
    ledger = Ledger(company, tx.scenario.seed)
    first = date.fromisoformat(span["dateFrom"]).toordinal()
    stop = date.fromisoformat(span["dateTo"]).toordinal()
    return [(p.id, p.account.number) for p in ledger.postings(first, stop, 0, 100_000)]


async def _read(tx: Tx, token: str, size: int, **params: Any) -> list[tuple[int, int]]:
    """Every (id, account number) of a filtered list, paged `size` at a time."""
    found: list[tuple[int, int]] = []
    while True:
        response, page = await tx.get(
            "/ledger/posting",
            token,
            "202",
            count=size,
            fields=FIELDS,
            **params,
            **{"from": len(found)},
        )
        assert response.status == 200, page
        found += [(p["id"], p["account"]["number"]) for p in page["values"]]
        if len(page["values"]) < size:
            return found


async def test_account_number_range_filters_and_pages(tx: Tx) -> None:
    token = await tx.session("accountant")
    every = _numbers(tx, 202, DAY)
    for low, high, size in ((1900, 2000, 7), (2000, 4000, 50), (1500, 1501, 1000)):
        expected = [(i, n) for i, n in every if low <= n < high]
        assert expected
        got = await _read(
            tx, token, size, accountNumberFrom=low, accountNumberTo=high, sorting="id", **DAY
        )
        assert got == expected
    from_only = await _read(tx, token, 100, accountNumberFrom=5000, **DAY)
    assert from_only == [(i, n) for i, n in every if n >= 5000]
    to_only = await _read(tx, token, 100, accountNumberTo=1920, **DAY)
    assert to_only == [(i, n) for i, n in every if n < 1920], "accountNumberTo is exclusive"
    assert len({n for _, n in every}) >= 8


async def test_the_filter_is_part_of_the_page_and_its_envelope(tx: Tx) -> None:
    token = await tx.session("accountant")
    pages = {}
    for low in (1000, 3000, 6000):
        response, page = await tx.get(
            "/ledger/posting", token, "202", count=5, accountNumberFrom=low, fields=FIELDS, **DAY
        )
        assert response.status == 200
        assert all(p["account"]["number"] >= low for p in page["values"])
        pages[low] = page
    assert len({str(p["values"]) for p in pages.values()}) == 3
    assert pages[1000]["fullResultSize"] == 6, "lookahead over the filtered result"
    response, error = await tx.get("/ledger/posting", token, "202", accountNumberFrom="abc", **DAY)
    assert (response.status, error["code"]) == (422, 15000)
    response, error = await tx.get("/ledger/posting", token, "202", accountId=1, **DAY)
    assert response.status == 422, "the other filters are still refused"


async def test_account_number_to_inclusive_is_a_fault_knob(fresh: Tx) -> None:
    token = await fresh.session("accountant")
    every = _numbers(fresh, 202, DAY)
    params = {"accountNumberFrom": 1500, "accountNumberTo": 1920} | DAY
    exclusive = await _read(fresh, token, 1000, **params)
    assert {n for _, n in exclusive} == {n for _, n in every if 1500 <= n < 1920}
    status, faults = await fresh.control("PATCH", "/faults", {"account_number_to_inclusive": True})
    assert (status, faults["account_number_to_inclusive"]) == (200, True)
    inclusive = await _read(fresh, token, 1000, **params)
    assert {n for _, n in inclusive} == {n for _, n in every if 1500 <= n <= 1920}
    assert 1920 in {n for _, n in inclusive}
    bad = {"account_number_to_inclusive": "yes"}
    assert (await fresh.control("PATCH", "/faults", bad))[0] == 422


async def test_the_cap_applies_to_the_filtered_result(fresh: Tx) -> None:
    await fresh.control("PATCH", "/faults", {"full_result_size": "exact"})
    token = await fresh.session("accountant")
    every = _numbers(fresh, 202, MONTH)
    assert len(every) > 10_000
    response, error = await fresh.get("/ledger/posting", token, "202", count=1, **MONTH)
    assert (response.status, error["code"]) == (422, 23000)
    response, error = await fresh.get(
        "/ledger/posting", token, "202", count=1, accountNumberFrom=1000, **MONTH
    )
    assert (response.status, error["code"]) == (422, 23000)
    high = sum(1 for _, n in every if n >= 2000)
    assert high < 10_000
    missing = 10_000 - high
    while missing:
        batch = min(missing, 999)
        posting = {"accountNumber": 3000, "amount": "1.00"}
        body = {"date": "2023-03-10", "postings": [posting] * batch}
        assert (await fresh.control("POST", "/companies/202/postings", body))[0] == 201
        missing -= batch
    outside = {"date": "2023-03-10", "postings": [{"accountNumber": 1920, "amount": "1.00"}] * 5}
    assert (await fresh.control("POST", "/companies/202/postings", outside))[0] == 201
    response, page = await fresh.get(
        "/ledger/posting",
        token,
        "202",
        count=10_000,
        accountNumberFrom=2000,
        fields="id",
        **MONTH,
    )
    assert response.status == 200, "exactly 10,000 passes"
    assert page["fullResultSize"] == page["count"] == len(page["values"]) == 10_000
    one = {"date": "2023-03-31", "accountNumber": 8150, "amount": "1.00"}
    assert (await fresh.control("POST", "/companies/202/postings", one))[0] == 201
    response, error = await fresh.get(
        "/ledger/posting", token, "202", count=1, accountNumberFrom=2000, **MONTH
    )
    assert (response.status, error["code"]) == (422, 23000)
    response, page = await fresh.get(
        "/ledger/posting",
        token,
        "202",
        count=1,
        accountNumberFrom=2000,
        accountNumberTo=8150,
        **MONTH,
    )
    assert response.status == 200, "an exclusive accountNumberTo=8150 brings it under the cap"
