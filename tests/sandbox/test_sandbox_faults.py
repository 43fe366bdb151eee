"""Over HTTP: every fault flag produces its fault, and the control API changes and reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp
import orjson
import pytest

from sandbox.__main__ import parser
from sandbox.faults import Faults
from sandbox.scenario import Scenario
from sandbox.server import SandboxServer

if TYPE_CHECKING:
    from conftest import Tx

SPAN = {"dateFrom": "2023-01-01", "dateTo": "2024-01-01"}


async def test_rate_limit_headers_and_429_without_reset(fresh: Tx) -> None:
    status, faults = await fresh.control("PATCH", "/faults", {"rate_limit": 4, "rate_window": 60})
    assert (status, faults["rate_limit"]) == (200, 4)
    token = await fresh.session()
    response, _ = await fresh.get("/token/session/>whoAmI", token)
    assert response.headers["X-Rate-Limit-Limit"] == "4"
    assert response.headers["X-Rate-Limit-Remaining"] == "2"
    assert 0 < int(response.headers["X-Rate-Limit-Reset"]) <= 60
    for _ in range(2):
        assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200
    response, error = await fresh.get("/token/session/>whoAmI", token)
    assert response.status == 429
    assert (error["status"], error["code"]) == (429, None)
    assert error["requestId"] == response.headers["x-tlx-request-id"]
    assert "X-Rate-Limit-Reset" not in response.headers
    assert response.headers["X-Rate-Limit-Remaining"] == "0"
    assert (await fresh.create()).status == 429, ":create counts toward the limit"
    _, counters = await fresh.control("GET", "/counters")
    assert counters["by_status"]["429"] == 2
    assert counters["total"] == 6


async def test_faults_given_at_start(
    tx_for: Callable[[SandboxServer], Tx], small_scenario: Scenario
) -> None:
    faults = Faults(rate_limit=1, full_result_size="exact")
    async with SandboxServer(small_scenario, faults) as server:
        tx = tx_for(server)
        assert (await tx.create()).status == 201
        assert (await tx.create()).status == 429
        assert (await tx.control("GET", "/faults"))[1]["full_result_size"] == "exact"


async def test_server_errors_500_json_and_502_503_html(fresh: Tx) -> None:
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"error_share": 1.0})
    seen = set()
    for _ in range(30):
        async with fresh.http.get(
            f"{fresh.server.base_url}/token/session/>whoAmI", headers=fresh.auth(token)
        ) as response:
            seen.add(response.status)
            if response.status == 500:
                error = await response.json()
                assert (error["status"], error["code"]) == (500, 1000)
                assert response.headers["x-tlx-request-id"] == error["requestId"]
            else:
                assert response.content_type == "text/html"
                assert "x-tlx-request-id" not in response.headers
                assert "<html>" in await response.text()
    assert seen == {500, 502, 503}
    await fresh.control("PATCH", "/faults", {"error_share": 0})
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200


async def test_delay(fresh: Tx) -> None:
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"delay_ms": 150})
    started = time.perf_counter()
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200
    assert time.perf_counter() - started >= 0.14


async def test_connection_reset_mid_body(fresh: Tx) -> None:
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"reset_share": 1.0})
    url = f"{fresh.server.base_url}/ledger/posting"
    async with fresh.http.get(url, params=SPAN, headers=fresh.auth(token)) as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_truncated_json(fresh: Tx) -> None:
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"truncate_share": 1.0})
    url = f"{fresh.server.base_url}/ledger/posting"
    async with fresh.http.get(url, params=SPAN, headers=fresh.auth(token)) as response:
        assert response.status == 200
        body = await response.read()
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)


async def test_sessions_expire_early_and_on_demand(fresh: Tx) -> None:
    token = await fresh.session()
    status, expired = await fresh.control("POST", "/sessions/expire")
    assert (status, expired["expired"]) == (200, 1)
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 401
    await fresh.control("PATCH", "/faults", {"session_ttl": 0})
    token = await fresh.session()
    response, error = await fresh.get("/token/session/>whoAmI", token)
    assert (response.status, error["code"]) == (401, 3000)


async def test_full_result_size_modes(fresh: Tx) -> None:
    token = await fresh.session()
    company = fresh.scenario.token("good").company_id
    _, truth = await fresh.control("GET", "/truth")
    total = next(c for c in truth["companies"] if c["id"] == company)["years"]["2023"]["count"]
    assert (await fresh.control("GET", "/faults"))[1]["full_result_size"] == "lookahead"
    seen = {}
    for mode in ("lookahead", "exact", "inexact"):
        await fresh.control("PATCH", "/faults", {"full_result_size": mode})
        _, page = await fresh.get("/ledger/posting", token, count=1, **SPAN)
        seen[mode] = page
    assert seen["lookahead"]["fullResultSize"] == 2, "one more remains: no total"
    assert seen["exact"]["fullResultSize"] == total
    assert seen["inexact"]["fullResultSize"] < total
    assert seen["lookahead"]["values"] == seen["exact"]["values"] == seen["inexact"]["values"]
    status, error = await fresh.control("PATCH", "/faults", {"full_result_size": "roughly"})
    assert status == 422
    assert "full_result_size" in error["error"]


async def test_inexact_total_is_a_deprecated_alias(fresh: Tx) -> None:
    assert Faults(inexact_total=True).full_result_size == "inexact"
    status, faults = await fresh.control("PATCH", "/faults", {"inexact_total": True})
    assert (status, faults["full_result_size"]) == (200, "inexact")
    assert "inexact_total" not in faults
    status, faults = await fresh.control("PATCH", "/faults", {"inexact_total": False})
    assert (status, faults["full_result_size"]) == (200, "lookahead")
    assert (await fresh.control("PATCH", "/faults", {"inexact_total": "yes"}))[0] == 422


async def _page_naively(tx: Tx, token: str, size: int) -> list[int]:
    ids, start = [], 0
    while True:
        _, page = await tx.get(
            "/ledger/posting", token, count=size, fields="id", **{"from": start}, **SPAN
        )
        ids += [p["id"] for p in page["values"]]
        start += len(page["values"])
        if len(page["values"]) < size:
            return ids


async def test_mutations_between_pages_trip_a_naive_client(fresh: Tx) -> None:
    token = await fresh.session()
    before = await _page_naively(fresh, token, 1000)
    await fresh.control("PATCH", "/faults", {"page_mutations": 3})
    naive = await _page_naively(fresh, token, 200)
    _, mutations = await fresh.control("GET", "/mutations")
    assert [m["kind"] for m in mutations] == ["add", "change", "delete"]
    assert all(m["source"] == "fault" for m in mutations)
    after = await _page_naively(fresh, token, 1000)
    assert after != before
    assert naive != after, "a naive offset-paging client ends up with the wrong set"
    added = set(mutations[0]["postings"])
    assert added <= set(after)
    assert not added <= set(naive)
    _, truth = await fresh.control("GET", "/truth")
    company = next(
        c for c in truth["companies"] if c["id"] == fresh.scenario.token("good").company_id
    )
    assert company["years"]["2023"]["count"] == len(after)


async def test_control_add_change_delete_show_in_api_and_truth(fresh: Tx) -> None:
    company = fresh.scenario.token("good").company_id
    token = await fresh.session()
    _, before = await fresh.control("GET", "/truth")
    body = {
        "date": "2024-02-29",
        "postings": [
            {"accountNumber": 1920, "amount": "250.50", "description": "Tilført"},
            {"accountNumber": 3000, "amount": -250.5, "currency": "NOK"},
        ],
    }
    status, added = await fresh.control("POST", f"/companies/{company}/postings", body)
    assert status == 201
    first, second = added["postings"]
    _, posting = await fresh.get(f"/ledger/posting/{first}", token)
    assert posting["value"]["amount"] == 250.5
    status, changed = await fresh.control(
        "PATCH",
        f"/companies/{company}/postings/{second}",
        {"description": "Endret beløp", "amount": "-250.00"},
    )
    assert (status, changed["version"]) == (200, 1)
    assert (await fresh.control("DELETE", f"/companies/{company}/postings/{first}"))[0] == 204
    assert (await fresh.get(f"/ledger/posting/{first}", token))[0].status == 404
    _, after = await fresh.control("GET", "/truth")
    year_before = next(c for c in before["companies"] if c["id"] == company)["years"]["2024"]
    year_after = next(c for c in after["companies"] if c["id"] == company)["years"]["2024"]
    assert year_after["count"] == year_before["count"] + 1
    assert year_after["debit"] == year_before["debit"]
    assert (await fresh.control("DELETE", f"/companies/{company}/postings/1"))[0] == 404
    status, error = await fresh.control(
        "POST", f"/companies/{company}/postings", {"date": "1999-01-01"}
    )
    assert status == 422
    assert "years" in error["error"]


async def test_faults_put_resets_and_validates(fresh: Tx) -> None:
    await fresh.control("PATCH", "/faults", {"delay_ms": 5, "error_share": 0.1})
    status, faults = await fresh.control("PUT", "/faults", {"delay_ms": 1})
    assert status == 200
    assert (faults["delay_ms"], faults["error_share"]) == (1, 0.0)
    status, error = await fresh.control("PATCH", "/faults", {"error_share": 3, "bogus": True})
    assert status == 422
    assert "bogus" in error["error"]
    assert (await fresh.control("GET", "/faults"))[1]["delay_ms"] == 1


async def test_the_default_rate_limit_is_realistic(
    tx_for: Callable[[SandboxServer], Tx], small_scenario: Scenario
) -> None:
    assert (Faults().rate_limit, Faults().rate_window) == (100, 60.0)
    assert parser().parse_args([]).rate_limit == 100
    assert "realistic" in parser().format_help()
    assert "--rate-limit 100000" in " ".join(parser().format_help().split())
    async with SandboxServer(small_scenario) as server:
        tx = tx_for(server)
        token = await tx.session()
        response, _ = await tx.get("/token/session/>whoAmI", token)
        assert response.headers["X-Rate-Limit-Limit"] == "100"
        assert response.headers["X-Rate-Limit-Remaining"] == "98", ":create counted too"
