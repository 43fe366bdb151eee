"""A day above the 10,000 cap (`bigday` scenario, bench `big_day`), seasonal bench months, and a
client that reads such a day by splitting it on account numbers."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from sandbox.faults import Faults
from sandbox.ledger import Ledger
from sandbox.scenario import Scenario, build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe

#: the year-end closing of the bigday scenario's company
CLOSING = date(2025, 12, 31)


@pytest.fixture(scope="module")
def bigday() -> Scenario:
    """The bigday scenario, seed 1."""
    return build_scenario("bigday", 1)


def _day_postings(ledger: Ledger, day: date) -> list[Any]:
    return [p for e in ledger.entries(day.toordinal()) for p in e.postings]


def test_the_big_day_holds_10500_postings_across_the_chart(bigday: Scenario) -> None:
    company = bigday.company(301)
    assert company is not None
    ledger = Ledger(company, bigday.seed)
    postings = _day_postings(ledger, CLOSING)
    assert 10_500 <= len(postings) <= 10_505
    numbers = Counter(p.account.number for p in postings)
    assert len(numbers) >= 8
    assert {n // 1000 for n in numbers} >= set(range(1, 9)), "1xxx to 8xxx"
    assert max(numbers.values()) < 10_000, "one account's postings fit under the cap"
    assert sum(p.amount for p in postings) == 0
    days_before = _day_postings(ledger, CLOSING - timedelta(days=1))
    assert len(days_before) < 200, "only the closing day is big"
    everything = [
        p
        for o in range(date(2025, 1, 1).toordinal(), date(2026, 1, 1).toordinal())
        for e in ledger.entries(o)
        for p in e.postings
    ]
    years = next(c for c in describe(bigday)["companies"] if c["id"] == 301)["years"]
    truth = years["2025"]
    assert truth["count"] == len(everything)
    debit = sum(p.amount for p in everything if p.amount > 0)
    assert Decimal(truth["debit"]) == Decimal(debit) / 100
    assert Decimal(truth["credit"]) == -Decimal(debit) / 100
    besides = truth["count"] - len(postings) + years["2024"]["count"]
    assert 3_000 <= besides <= 6_000, "a few thousand postings besides the big day"


def test_bench_takes_a_big_day_and_has_seasonal_months() -> None:
    plain = build_scenario("bench", 1, postings=40_000, years=2)
    big = build_scenario("bench", 1, postings=40_000, years=2, big_day=12_000)
    closing = date(2017, 12, 31)
    plain_ledger, big_ledger = Ledger(plain.companies[0], 1), Ledger(big.companies[0], 1)
    assert len(_day_postings(plain_ledger, closing)) < 500
    assert 12_000 <= len(_day_postings(big_ledger, closing)) <= 12_005
    assert len(_day_postings(big_ledger, closing - timedelta(days=1))) == len(
        _day_postings(plain_ledger, closing - timedelta(days=1))
    )
    plain_year = plain_ledger.year_totals(2017).postings
    big_year = big_ledger.year_totals(2017).postings
    assert big_year - plain_year == len(_day_postings(big_ledger, closing)) - len(
        _day_postings(plain_ledger, closing)
    )
    truth = describe(big)["companies"][0]["years"]["2017"]
    assert truth["count"] == big_year
    months = []
    for month in range(1, 13):
        first = date(2016, month, 1).toordinal()
        stop = date(2016 + month // 12, month % 12 + 1, 1).toordinal()
        months.append(plain_ledger.totals(first, stop).postings)
    assert max(months) >= 2 * min(months), "seasonal: some months twice others or more"
    for wrong in (-1, 100_001):
        with pytest.raises(ValueError, match="big_day"):
            build_scenario("bench", 1, big_day=wrong)
    with pytest.raises(ValueError, match="no size"):
        build_scenario("small", 1, big_day=10_500)


class SplittingClient:
    """Reads a year by ranges: a range over the cap is halved, a day over it split by account."""

    def __init__(self, http: aiohttp.ClientSession, base: str, headers: dict[str, str]) -> None:
        self.http, self.base, self.headers = http, base, headers
        self.requests = 0
        self.split_by_account = 0

    async def _page(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.requests += 1
        query = {k: str(v) for k, v in params.items()}
        url = self.base + "/ledger/posting"
        async with self.http.get(url, params=query, headers=self.headers) as response:
            return response.status, json.loads(await response.read(), parse_float=Decimal)

    async def read(
        self, first: date, stop: date, into: list[Any], accounts: tuple[int, int] | None = None
    ) -> None:
        """Every posting of first..stop (exclusive), within `accounts` when given."""
        params: dict[str, Any] = {"dateFrom": first, "dateTo": stop, "count": 10_000}
        params |= {"sorting": "id", "fields": "id,amount,account(number),date"}
        if accounts is not None:
            params |= {"accountNumberFrom": accounts[0], "accountNumberTo": accounts[1]}
        status, body = await self._page(params)
        if status == 422 and body["code"] == 23000:
            if stop - first > timedelta(days=1):
                middle = first + (stop - first) // 2
                await self.read(first, middle, into, accounts)
                await self.read(middle, stop, into, accounts)
                return
            low, high = accounts or (0, 10_000)
            assert high - low > 1, "one account above the cap cannot be split"
            self.split_by_account += 1
            await self.read(first, stop, into, (low, (low + high) // 2))
            await self.read(first, stop, into, ((low + high) // 2, high))
            return
        assert status == 200, body
        assert len(body["values"]) == body["count"] <= 10_000
        into += body["values"]


@pytest.fixture
async def bigday_server(bigday: Scenario) -> AsyncIterator[SandboxServer]:
    """A sandbox serving the bigday scenario, without a realistic rate limit."""
    async with SandboxServer(bigday, Faults(rate_limit=100_000)) as server:
        yield server


async def _login(http: aiohttp.ClientSession, server: SandboxServer) -> dict[str, str]:
    body = {
        "consumerToken": server.scenario.consumer.value,
        "employeeToken": server.scenario.token("good").value,
        "expirationDate": "2099-01-01",
    }
    async with http.post(f"{server.base_url}/token/session/:create", json=body) as response:
        token = (await response.json())["value"]["token"]
    return {"Authorization": "Basic " + base64.b64encode(f"0:{token}".encode()).decode()}


async def test_a_client_splitting_the_big_day_by_account_reads_the_truth(
    http: aiohttp.ClientSession, bigday_server: SandboxServer
) -> None:
    client = SplittingClient(http, bigday_server.base_url, await _login(http, bigday_server))
    truth = next(c for c in describe(bigday_server.scenario)["companies"] if c["id"] == 301)
    for year, expected in truth["years"].items():
        postings: list[Any] = []
        await client.read(date(int(year), 1, 1), date(int(year) + 1, 1, 1), postings)
        ids = [p["id"] for p in postings]
        assert len(ids) == len(set(ids)) == expected["count"]
        debit = sum(p["amount"] for p in postings if p["amount"] > 0)
        credit = sum(p["amount"] for p in postings if p["amount"] < 0)
        assert (f"{debit:.2f}", f"{credit:.2f}") == (expected["debit"], expected["credit"])
    assert client.split_by_account >= 1, "the closing day had to be split by account number"
    status, error = await client._page({"dateFrom": CLOSING, "dateTo": CLOSING + timedelta(1)})
    assert (status, error["code"]) == (422, 23000)
