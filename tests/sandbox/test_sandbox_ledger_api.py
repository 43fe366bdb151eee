"""Over HTTP: envelopes, paging, dates, the 10k cap, fields and refs, 304, ledger endpoints."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.ledger import Ledger

if TYPE_CHECKING:
    from conftest import Tx

FIELDS = "id,date,row,amount,amountCurrency,account(id,number,name),voucher(id,number,year,date)"


def _decimal(body: bytes) -> Any:
    """JSON with numbers as Decimal (the way a careful client reads amounts)."""
    return json.loads(body, parse_float=Decimal)


async def _accountant_in(tx: Tx, company_id: int) -> tuple[str, str]:
    return await tx.session("accountant"), str(company_id)


async def test_list_envelope_and_paging_to_a_short_last_page(tx: Tx) -> None:
    token = await tx.session()
    truth = tx.scenario.companies[0]
    assert truth.id == tx.scenario.token("good").company_id
    total = Ledger(truth, tx.scenario.seed).year_totals(2023).postings
    assert 1000 < total < 2000
    span = {"dateFrom": "2023-01-01", "dateTo": "2024-01-01"}
    response, first = await tx.get("/ledger/posting", token, **span)
    assert response.status == 200
    assert list(first) == ["fullResultSize", "from", "count", "versionDigest", "values"]
    assert first["versionDigest"] == "'If-None-Match' header not specified"
    assert (first["from"], first["count"], len(first["values"])) == (0, 1000, 1000)
    assert first["fullResultSize"] == 1001, "lookahead: more remain, and no total"
    _, middle = await tx.get("/ledger/posting", token, count=300, **span, **{"from": 500})
    assert (middle["from"], middle["count"], middle["fullResultSize"]) == (500, 300, 801)
    _, last = await tx.get("/ledger/posting", token, **span, **{"from": 1000})
    assert last["from"] == 1000
    assert last["count"] == len(last["values"]) == total - 1000
    assert last["fullResultSize"] == total, "the last page: from + count"
    _, exact = await tx.get("/ledger/posting", token, count=total - 500, **span, **{"from": 500})
    assert exact["fullResultSize"] == total, "a page ending exactly at the end has no +1"
    _, past = await tx.get("/ledger/posting", token, **span, **{"from": total + 5})
    assert (past["count"], past["fullResultSize"]) == (0, total + 5)
    ids = [p["id"] for p in first["values"] + last["values"]]
    assert len(set(ids)) == total
    assert uuid.UUID(response.headers["x-tlx-request-id"])


async def test_date_to_is_exclusive_and_ranges_are_validated(tx: Tx) -> None:
    token = await tx.session()
    _, inside = await tx.get(
        "/ledger/posting", token, dateFrom="2023-06-30", dateTo="2023-07-01", fields="date"
    )
    assert inside["values"]
    assert {p["date"] for p in inside["values"]} == {"2023-06-30"}
    _, before = await tx.get(
        "/ledger/posting", token, dateFrom="2023-06-01", dateTo="2023-06-30", fields="date"
    )
    assert "2023-06-30" not in {p["date"] for p in before["values"]}
    response, empty = await tx.get(
        "/ledger/posting", token, dateFrom="2023-06-30", dateTo="2023-06-30"
    )
    assert response.status == 200
    assert (empty["count"], empty["values"]) == (0, [])
    response, error = await tx.get(
        "/ledger/posting", token, dateFrom="2023-07-01", dateTo="2023-06-30"
    )
    assert response.status == 422
    response, error = await tx.get("/ledger/voucher", token, dateFrom="2023-07-01")
    assert response.status == 422
    assert error["validationMessages"][0]["field"] == "dateTo"
    params = {"dateFrom": "2023-01-01", "dateTo": "2023-02-01", "from": -1}
    assert (await tx.get("/ledger/posting", token, **params))[0].status == 422


async def test_the_cap_passes_10000_and_fails_10001(fresh: Tx) -> None:
    await fresh.control("PATCH", "/faults", {"full_result_size": "exact"})
    token, username = await _accountant_in(fresh, 202)
    day, total = "2023-03-02", 0
    while True:
        nxt = f"2023-03-{int(day[-2:]) + 1:02d}"
        response, page = await fresh.get(
            "/ledger/posting", token, username, dateFrom="2023-03-01", dateTo=nxt, count=0
        )
        if response.status == 422:
            assert page["code"] == 23000
            assert page["message"] == "Result set too large. Limit of 10.000 reached."
            break
        day, total = nxt, page["fullResultSize"]
    missing = 10_000 - total
    assert 0 <= missing < 999
    if missing:
        body = {
            "date": "2023-03-01",
            "postings": [{"accountNumber": 1920, "amount": "1.00"}] * missing,
        }
        assert (await fresh.control("POST", "/companies/202/postings", body))[0] == 201
    response, page = await fresh.get(
        "/ledger/posting",
        token,
        username,
        dateFrom="2023-03-01",
        dateTo=day,
        count=20_000,
        fields="id",
    )
    assert response.status == 200
    assert page["fullResultSize"] == page["count"] == len(page["values"]) == 10_000
    one = {"date": "2023-03-01", "accountNumber": 1920, "amount": "1.00"}
    assert (await fresh.control("POST", "/companies/202/postings", one))[0] == 201
    response, error = await fresh.get(
        "/ledger/posting", token, username, dateFrom="2023-03-01", dateTo=day
    )
    assert (response.status, error["code"]) == (422, 23000)


async def test_fields_filtering_and_unexpanded_refs(tx: Tx) -> None:
    token = await tx.session()
    host = tx.server.base_url.removeprefix("http://")
    _, page = await tx.get(
        "/ledger/posting",
        token,
        dateFrom="2023-02-01",
        dateTo="2023-03-01",
        count=5,
        fields="id,amount,account(number,name),voucher",
    )
    posting = page["values"][0]
    assert set(posting) == {"id", "amount", "account", "voucher"}
    assert set(posting["account"]) == {"number", "name"}
    assert set(posting["voucher"]) == {"id", "url"}
    assert posting["voucher"]["url"] == f"{host}/ledger/voucher/{posting['voucher']['id']}"
    _, full = await tx.get(
        "/ledger/posting", token, dateFrom="2023-02-01", dateTo="2023-03-01", count=5
    )
    everything = full["values"][0]
    assert {
        "id",
        "version",
        "url",
        "voucher",
        "date",
        "account",
        "amount",
        "amountCurrency",
        "amountGross",
        "amountGrossCurrency",
        "currency",
        "row",
        "vatType",
    } <= set(everything)
    assert "changes" not in everything
    assert set(everything["account"]) == {"id", "url"}
    _, with_changes = await tx.get(
        "/ledger/posting",
        token,
        dateFrom="2023-02-01",
        dateTo="2023-03-01",
        count=1,
        fields="*,changes",
    )
    assert with_changes["values"][0]["changes"][0]["changeType"] == "CREATE"
    response, error = await tx.get(
        "/ledger/posting", token, dateFrom="2023-02-01", dateTo="2023-03-01", fields="id,nonsense"
    )
    assert (response.status, error["code"]) == (400, 11000)


async def test_amounts_have_at_most_two_decimals_and_foreign_currency_differs(tx: Tx) -> None:
    token = await tx.session()
    url = f"{tx.server.base_url}/ledger/posting"
    params = {
        "dateFrom": "2023-01-01",
        "dateTo": "2024-01-01",
        "count": "2000",
        "fields": "amount,amountCurrency,currency(code),description",
    }
    async with tx.http.get(url, params=params, headers=tx.auth(token)) as response:
        page = _decimal(await response.read())
    amounts = [p["amount"] for p in page["values"]]
    assert all(isinstance(a, Decimal) for a in amounts)
    assert all(Decimal(a).as_tuple().exponent >= -2 for a in amounts)
    foreign = [p for p in page["values"] if p["currency"]["code"] != "NOK"]
    assert foreign
    assert all(p["amountCurrency"] != p["amount"] for p in foreign)
    assert any(ch in p["description"] for p in page["values"] for ch in "æøå")


async def test_vouchers_have_posting_refs_unless_embedded(tx: Tx) -> None:
    token = await tx.session()
    span = {"dateFrom": "2023-04-01", "dateTo": "2023-04-15"}
    _, refs = await tx.get("/ledger/voucher", token, count=10, **span)
    voucher = refs["values"][0]
    assert all(set(p) == {"id", "url"} for p in voucher["postings"])
    assert "totalNumberOfPostings" in refs
    url = f"{tx.server.base_url}/ledger/voucher"
    params = span | {"count": "10", "fields": "*,postings(*)"}
    async with tx.http.get(url, params=params, headers=tx.auth(token)) as response:
        embedded = _decimal(await response.read())
    for voucher in embedded["values"]:
        assert 2 <= len(voucher["postings"]) <= 6
        assert sum(p["amount"] for p in voucher["postings"]) == 0
        assert all(p["voucher"]["id"] == voucher["id"] for p in voucher["postings"])
    _, one = await tx.get(f"/ledger/voucher/{voucher['id']}", token)
    assert one["value"]["number"] == voucher["number"]
    posting_id = voucher["postings"][0]["id"]
    _, single = await tx.get(f"/ledger/posting/{posting_id}", token)
    assert single["value"]["id"] == posting_id
    assert (await tx.get("/ledger/posting/12345", token))[0].status == 404


async def test_if_none_match_gives_a_digest_then_304(fresh: Tx) -> None:
    token = await fresh.session()
    span = {"dateFrom": "2023-05-01", "dateTo": "2023-06-01"}
    _, first = await fresh.get("/ledger/posting", token, headers={"If-None-Match": "*"}, **span)
    digest = first["versionDigest"]
    assert digest != "'If-None-Match' header not specified"
    response, body = await fresh.get(
        "/ledger/posting", token, headers={"If-None-Match": digest}, **span
    )
    assert response.status == 304
    assert body is None
    assert response.headers["x-tlx-request-id"]
    assert "X-Rate-Limit-Remaining" in response.headers
    victim = first["values"][0]["id"]
    company = fresh.scenario.token("good").company_id
    assert (await fresh.control("PATCH", f"/companies/{company}/postings/{victim}", {"amount": 1}))[
        0
    ] == 200
    response, changed = await fresh.get(
        "/ledger/posting", token, headers={"If-None-Match": digest}, **span
    )
    assert response.status == 200
    assert changed["versionDigest"] != digest
    assert changed["values"][0]["amount"] == 1.0
    assert changed["values"][0]["version"] == 1


async def test_accounts_general_ledger_and_annual_accounts(tx: Tx) -> None:
    token = await tx.session()
    _, accounts = await tx.get("/ledger/account", token)
    numbers = {a["number"]: a["name"] for a in accounts["values"]}
    assert numbers[1500] == "Kundefordringer"
    assert numbers[1920] == "Bankinnskudd"
    assert numbers[2400] == "Leverandørgjeld"
    assert {2700, 3000, 4000, 5000, 6300, 7700} <= set(numbers)
    _, picked = await tx.get("/ledger/account", token, number="1920,3000", sorting="-number")
    assert [a["number"] for a in picked["values"]] == [3000, 1920]
    span = {"dateFrom": "2023-02-01", "dateTo": "2023-03-01"}
    url = f"{tx.server.base_url}/ledger/posting"
    params = span | {"count": "10000", "fields": "amount,account(number)"}
    async with tx.http.get(url, params=params, headers=tx.auth(token)) as response:
        postings = _decimal(await response.read())["values"]
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for p in postings:
        expected[p["account"]["number"]] += p["amount"]
    async with tx.http.get(
        f"{tx.server.base_url}/ledger",
        params=span | {"fields": "account(number),sumAmount,openingBalance,closingBalance"},
        headers=tx.auth(token),
    ) as response:
        ledger = _decimal(await response.read())["values"]
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for row in ledger:
        sums[row["account"]["number"]] += row["sumAmount"]
        assert row["closingBalance"] == row["openingBalance"] + row["sumAmount"]
    assert {k: v for k, v in sums.items() if v} == {k: v for k, v in expected.items() if v}
    assert sum(sums.values()) == 0
    token, username = await _accountant_in(tx, 202)
    _, years = await tx.get("/ledger/annualAccount", token, username)
    by_year = {a["year"]: a for a in years["values"]}
    assert 2021 in by_year
    assert by_year[2021]["end"] == "2022-01-01"
    _, some = await tx.get("/ledger/annualAccount", token, username, yearFrom=2020, yearTo=2022)
    assert [a["year"] for a in some["values"]] == [2020, 2021]


async def test_sorting_and_unsupported_filters_are_refused(tx: Tx) -> None:
    token = await tx.session()
    span = {"dateFrom": "2023-02-01", "dateTo": "2023-03-01"}
    assert (await tx.get("/ledger/posting", token, sorting="date", **span))[0].status == 200
    for sorting in ("-amount", "nonsense"):
        response, error = await tx.get("/ledger/posting", token, sorting=sorting, **span)
        assert (response.status, error["code"]) == (422, 17000)
    response, error = await tx.get("/ledger/posting", token, accountId=1, **span)
    assert response.status == 422
    assert "accountId" in error["validationMessages"][0]["message"]


async def test_default_count_is_1000_and_pages_are_cached(fresh: Tx) -> None:
    token, username = await _accountant_in(fresh, 202)
    span = {"dateFrom": "2023-03-01", "dateTo": "2023-03-10"}
    _, page = await fresh.get("/ledger/posting", token, username, **span)
    assert page["count"] == 1000
    again = await fresh.get("/ledger/posting", token, username, **span)
    assert orjson.dumps(again[1]["values"]) == orjson.dumps(page["values"])
    assert fresh.server.state.cache.hits >= 1


async def _ids(tx: Tx, token: str, path: str, size: int, **params: Any) -> list[int]:
    """Every id of a list, paged `size` at a time until a short page."""
    ids: list[int] = []
    while True:
        response, page = await tx.get(
            path, token, count=size, fields="id", **params, **{"from": len(ids)}
        )
        assert response.status == 200, page
        ids += [v["id"] for v in page["values"]]
        if len(page["values"]) < size:
            return ids


async def test_sorting_by_id_is_the_default_order_with_postings_added_at_run_time(
    fresh: Tx,
) -> None:
    token = await fresh.session()
    company = fresh.scenario.token("good").company_id
    span = {"dateFrom": "2023-03-01", "dateTo": "2023-04-01"}
    body = {
        "date": "2023-03-15",
        "postings": [
            {"accountNumber": 1920, "amount": "10.00"},
            {"accountNumber": 3000, "amount": "-4.00"},
            {"accountNumber": 2700, "amount": "-6.00"},
        ],
    }
    for _ in range(2):
        assert (await fresh.control("POST", f"/companies/{company}/postings", body))[0] == 201
    one = {"date": "2023-03-02", "accountNumber": 1920, "amount": "1.00"}
    status, added = await fresh.control("POST", f"/companies/{company}/postings", one)
    assert status == 201
    for path in ("/ledger/posting", "/ledger/voucher"):
        default = await _ids(fresh, token, path, 1000, **span)
        assert len(default) == len(set(default))
        for sorting in ("id", "date,id", "date"):
            by_id = await _ids(fresh, token, path, 37, sorting=sorting, **span)
            assert by_id == default
            assert by_id == sorted(by_id), "ids increase along the default order"
    postings = await _ids(fresh, token, "/ledger/posting", 50, sorting="id", **span)
    assert set(added["postings"]) <= set(postings)
    for sorting in ("-id", "id,date", "amount", "voucher.id"):
        response, error = await fresh.get("/ledger/posting", token, sorting=sorting, **span)
        assert (response.status, error["code"]) == (422, 17000)


async def test_the_small_lists_sort_as_clients_ask(tx: Tx) -> None:
    token, username = await _accountant_in(tx, 202)
    accountant = await tx.session("accountant")
    _, clients = await tx.get("/company/>withLoginAccess", accountant, sorting="id")
    ids = [c["id"] for c in clients["values"]]
    assert len(ids) >= 3
    assert ids == sorted(ids)
    _, clients = await tx.get("/company/>withLoginAccess", accountant, sorting="-id")
    assert [c["id"] for c in clients["values"]] == sorted(ids, reverse=True)
    _, years = await tx.get("/ledger/annualAccount", token, username, sorting="year")
    found = [a["year"] for a in years["values"]]
    assert len(found) > 1
    assert found == sorted(found)
    _, years = await tx.get("/ledger/annualAccount", token, username, sorting="-year")
    assert [a["year"] for a in years["values"]] == sorted(found, reverse=True)
    span = {"dateFrom": "2023-01-01", "dateTo": "2024-01-01", "fields": "account(number)"}
    _, ledger = await tx.get("/ledger", token, username, sorting="account.number", **span)
    numbers = [row["account"]["number"] for row in ledger["values"]]
    assert len(set(numbers)) > 8
    assert numbers == sorted(numbers)
    _, ledger = await tx.get("/ledger", token, username, sorting="-account.number", **span)
    assert [row["account"]["number"] for row in ledger["values"]] == sorted(numbers, reverse=True)
    for path, sorting, params in (
        ("/company/>withLoginAccess", "nonsense", {}),
        ("/ledger/annualAccount", "nonsense", {}),
        ("/ledger", "nonsense", span),
        ("/ledger", "account.nonsense", span),
        ("/ledger", "account.currency.id", span),
    ):
        response, error = await tx.get(path, accountant, "202", sorting=sorting, **params)
        assert (response.status, error["code"]) == (422, 17000), (path, sorting)
