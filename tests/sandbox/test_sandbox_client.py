"""An independent Tripletex client (plain aiohttp, no sandbox code) must read exactly the truth."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from yarl import URL

from sandbox.faults import Faults
from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe

PAGE = 1000
FIELDS = "id,date,amount,account(number),voucher(number,year)"


@dataclass
class YearTotals:
    """What the client read for one year."""

    ids: list[int] = field(default_factory=list)
    debit: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")


class Client:
    """Creates a session, then pages /ledger/posting date range by date range."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        self.headers: dict[str, str] = {}

    async def login(self, consumer: str, employee: str, username: str = "0") -> None:
        # "today" is Oslo's: a UTC-tomorrow asked for late in the UTC evening is refused
        tomorrow = (datetime.now(ZoneInfo("Europe/Oslo")).date() + timedelta(days=1)).isoformat()
        query = f"consumerToken={quote(consumer, safe='')}&employeeToken={quote(employee, safe='')}"
        url = URL(
            f"{self.base}/token/session/:create?{query}&expirationDate={tomorrow}", encoded=True
        )
        async with self.http.put(url) as response:
            assert response.status == 200, await response.text()
            token = (await response.json())["value"]["token"]
        basic = base64.b64encode(f"{username}:{token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {basic}"}

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        query = {k: str(v) for k, v in params.items()}
        async with self.http.get(self.base + path, params=query, headers=self.headers) as response:
            return response.status, json.loads(await response.read(), parse_float=Decimal)

    async def years(self) -> list[int]:
        status, body = await self.get("/ledger/annualAccount")
        assert status == 200
        return [a["year"] for a in body["values"]]

    async def clients(self) -> list[int]:
        status, body = await self.get("/company/%3EwithLoginAccess")
        assert status == 200
        return [c["id"] for c in body["values"]]

    async def read_range(self, first: date, stop: date, into: YearTotals) -> None:
        """Read first..stop (exclusive); split the range in two when it exceeds the cap."""
        start = 0
        while True:
            status, body = await self.get(
                "/ledger/posting",
                dateFrom=first,
                dateTo=stop,
                fields=FIELDS,
                count=PAGE,
                **{"from": start},
            )
            if status == 422 and body["code"] == 23000:
                assert start == 0
                middle = first + (stop - first) // 2
                assert first < middle < stop
                await self.read_range(first, middle, into)
                await self.read_range(middle, stop, into)
                return
            assert status == 200, body
            for posting in body["values"]:
                assert first.isoformat() <= posting["date"] < stop.isoformat()
                into.ids.append(posting["id"])
                if posting["amount"] > 0:
                    into.debit += posting["amount"]
                else:
                    into.credit += posting["amount"]
            start += len(body["values"])
            if len(body["values"]) < PAGE:
                return

    async def read_year(self, year: int) -> YearTotals:
        totals = YearTotals()
        await self.read_range(date(year, 1, 1), date(year + 1, 1, 1), totals)
        return totals


async def test_an_independent_client_reads_exactly_the_truth(http: aiohttp.ClientSession) -> None:
    scenario = build_scenario("small", 1)
    truth = describe(scenario)
    checked = 0
    async with SandboxServer(scenario, Faults(rate_limit=100_000)) as server:
        for company in truth["companies"]:
            if not company["reached_by"]:
                continue
            label = company["reached_by"][0]
            client = Client(http, server.base_url)
            await client.login(truth["consumer_token"], truth["tokens"][label])
            if company["id"] in await client.clients():
                await client.login(
                    truth["consumer_token"], truth["tokens"][label], str(company["id"])
                )
            assert await client.years() == [int(y) for y in company["years"]]
            for year, expected in company["years"].items():
                got = await client.read_year(int(year))
                assert len(got.ids) == len(set(got.ids)), "no duplicate postings"
                assert len(got.ids) == expected["count"]
                assert f"{got.debit:.2f}" == expected["debit"]
                assert f"{got.credit:.2f}" == expected["credit"]
                checked += len(got.ids)
    assert checked > 20_000
