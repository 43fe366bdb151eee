"""Over HTTP: the registers (issue 20's master data) and the dimensions postings carry."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Tx

#: the fields the worker's import asks for today (worker/tripletex.py POSTING_FIELDS)
NARROW = (
    "id,version,date,description,row,amount,amountCurrency,currency(code),"
    "account(id,number,name),voucher(id,number,year)"
)
#: sha256 of the bodies the sandbox gave before issue 20 (the small scenario, seed 1, company
#: 201, 2023, host replaced by HOST): narrow answers must not change by a byte
GOLDEN = {
    "/ledger/posting": "7f91b7c16281f1f362d249a2144a309b35096260c5a783cd6a5413bd590798e5",
    "/ledger": "d02a5c79b379e7cd84134cb648470c2dd5d1101123aeeff2931a28e0e6014c0a",
}
YEAR = {"dateFrom": "2023-01-01", "dateTo": "2024-01-01"}
#: every dimension a posting carries, as the issue lists them
DIMENSIONS = (
    "id,account(number),voucher(id,number,year,voucherType,description),customer,supplier,"
    "employee,department,project,product,vatType,freeAccountingDimension1,"
    "freeAccountingDimension2,freeAccountingDimension3,amountGross,invoiceNumber,systemGenerated"
)
REFS = ("customer", "supplier", "employee", "department", "project", "product", "vatType")
REFS += ("freeAccountingDimension1", "freeAccountingDimension2", "freeAccountingDimension3")
#: register path per posting field
REGISTER = {
    "customer": "/customer",
    "supplier": "/supplier",
    "employee": "/employee",
    "department": "/department",
    "project": "/project",
    "product": "/product",
    "vatType": "/ledger/vatType",
    "freeAccountingDimension1": "/ledger/accountingDimensionValue",
    "freeAccountingDimension2": "/ledger/accountingDimensionValue",
    "freeAccountingDimension3": "/ledger/accountingDimensionValue",
}


async def _every(tx: Tx, token: str, path: str, size: int, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list, paged `size` at a time until a short page."""
    found: list[dict[str, Any]] = []
    while True:
        response, page = await tx.get(path, token, count=size, **params, **{"from": len(found)})
        assert response.status == 200, page
        found += page["values"]
        if len(page["values"]) < size:
            return found


async def test_narrow_fields_answer_exactly_as_before(tx: Tx) -> None:
    token = await tx.session()
    host = tx.server.base_url.removeprefix("http://").encode()
    for path, params in (
        ("/ledger/posting", YEAR | {"count": "10000", "sorting": "id", "fields": NARROW}),
        ("/ledger", YEAR | {"fields": "account(number),sumAmount"}),
    ):
        url = tx.server.base_url + path
        async with tx.http.get(url, params=params, headers=tx.auth(token)) as response:
            raw = (await response.read()).replace(host, b"HOST")
        assert hashlib.sha256(raw).hexdigest() == GOLDEN[path], path


async def test_paging_over_customers_returns_each_once_with_those_without_postings(
    tx: Tx,
) -> None:
    token = await tx.session()
    whole = (await tx.get("/customer", token))[1]["values"]
    paged = await _every(tx, token, "/customer", 3)
    ids = [c["id"] for c in paged]
    assert len(ids) == len(set(ids)) == len(whole) > 16
    assert ids == [c["id"] for c in whole] == sorted(ids)
    postings = await _every(tx, token, "/ledger/posting", 10_000, fields="customer", **YEAR)
    used = {p["customer"]["id"] for p in postings if p["customer"]}
    assert used < set(ids), "every customer a posting names is in the register"
    idle = [c for c in whole if c["id"] not in used]
    assert len(idle) >= 3, "customers without postings are listed"
    assert any(c["isInactive"] for c in idle)
    assert all(c["customerNumber"] for c in whole)
    domestic = [c for c in whole if not c["isSupplier"]]
    assert all(len(c["organizationNumber"]) == 9 for c in domestic)
    suppliers = await _every(tx, token, "/supplier", 7)
    assert len({s["id"] for s in suppliers}) == len(suppliers) > 16
    assert all(s["supplierNumber"] for s in suppliers)


async def test_inactive_accounts_and_accounts_without_movements_are_listed(tx: Tx) -> None:
    token = await tx.session()
    accounts = (await tx.get("/ledger/account", token))[1]["values"]
    inactive = {a["number"] for a in accounts if a["isInactive"]}
    assert inactive == {1230, 6010, 7100}
    flagged = (await tx.get("/ledger/account", token, isInactive="true"))[1]["values"]
    assert {a["number"] for a in flagged} == inactive
    postings = await _every(tx, token, "/ledger/posting", 10_000, fields="account(number)", **YEAR)
    moved = {p["account"]["number"] for p in postings}
    still = {a["number"] for a in accounts} - moved
    assert inactive <= still
    assert still - inactive, "active accounts without movements are listed too"
    for account in accounts:
        if account["isPostingsExist"] is False:
            assert account["number"] not in moved
        assert set(account) >= {"type", "ledgerType", "vatType", "saftCode", "requiresDepartment"}


async def test_postings_carry_dimensions_that_are_in_the_registers(tx: Tx) -> None:
    token = await tx.session()
    postings = await _every(tx, token, "/ledger/posting", 10_000, fields=DIMENSIONS, **YEAR)
    assert set(postings[0]) == set(DIMENSIONS.replace("(", ",").replace(")", "").split(",")) - {
        "number",
        "year",
        "voucherType",
        "description",
        "",
    } | {"voucher"}
    registers: dict[str, set[int]] = {}
    for path in set(REGISTER.values()):
        registers[path] = {v["id"] for v in await _every(tx, token, path, 1000)}
    carried: Counter[str] = Counter()
    for posting in postings:
        assert set(posting["voucher"]) == {"id", "number", "year", "voucherType", "description"}
        for name in REFS:
            ref = posting[name]
            if ref is not None:
                carried[name] += 1
                assert set(ref) == {"id", "url"}
                assert ref["id"] in registers[REGISTER[name]], (name, ref)
    for name in REFS:
        if name == "freeAccountingDimension3":
            assert carried[name] == 0
        else:
            assert carried[name] > 10, name
    _, values = await tx.get("/ledger/accountingDimensionValue", token, dimensionIndex=2)
    assert {v["dimensionIndex"] for v in values["values"]} == {2}
    _, names = await tx.get("/ledger/accountingDimensionName/search", token)
    assert [n["dimensionIndex"] for n in names["values"]] == [1, 2, 3]
    assert all(n["dimensionName"] for n in names["values"])


async def test_registers_take_fields_sorting_and_refuse_filters(tx: Tx) -> None:
    token = await tx.session()
    _, named = await tx.get("/department", token, fields="id,name", sorting="-name")
    assert all(set(d) == {"id", "name"} for d in named["values"])
    names = [d["name"] for d in named["values"]]
    assert names == sorted(names, reverse=True)
    _, projects = await tx.get("/project", token, fields="number,department(name)")
    assert all(set(p["department"]) == {"name"} for p in projects["values"])
    response, error = await tx.get("/product", token, fields="nonsense")
    assert (response.status, error["code"]) == (400, 11000)
    response, error = await tx.get("/customer", token, organizationNumber="123")
    assert response.status == 422
    for path in ("/employee", "/ledger/vatType", "/ledger/voucherType"):
        response, page = await tx.get(path, token)
        assert response.status == 200
        assert page["values"]
    no_ledger = await tx.session("no_ledger_access")
    response, error = await tx.get("/ledger/vatType", no_ledger)
    assert (response.status, error["code"]) == (403, 9000)
