"""The registers postings point to: read purely from the API's objects, and refreshed into the
master tables against the sandbox (one request each, idempotent, rows no longer listed kept and
marked, a register the token may not read recorded and passed over)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import asyncpg
import pytest

from sandbox.faults import Faults
from sandbox.registers import registers_for
from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe
from shared.db.queries import Q
from worker.ledger.masterdata import refresh_registers
from worker.tripletex.client import TripletexClient
from worker.tripletex.protocol import Auth
from worker.tripletex.registers import (
    REGISTERS,
    account_row,
    dimension_name_row,
    employee_row,
    vat_type_row,
)

SCENARIO = build_scenario("small", seed=1)
TRUTH = describe(SCENARIO)
EXPIRES = dt.date.today() + dt.timedelta(days=2)
T = TypeVar("T")
#: the registers Tripletex serves under /ledger (the sandbox's no-ledger token gets 403 there)
LEDGER_REGISTERS = {r.table for r in REGISTERS if r.path[0] == "ledger"}


def test_an_account_reads_with_its_references_as_ids() -> None:
    item = {
        "id": 7,
        "number": 1920,
        "name": "Bank",
        "type": "ASSETS",
        "ledgerType": "GENERAL",
        "vatType": {"id": 3},
        "saftCode": "1920",
        "isInactive": True,
    }
    assert account_row(item) == ("1920", 7, "Bank", "ASSETS", "GENERAL", 3, "1920", True)
    # a field the token may not see is missing: the row says nothing rather than guessing
    assert account_row({"id": 7, "number": 1920}) == (
        "1920",
        7,
        None,
        None,
        None,
        None,
        None,
        False,
    )
    with pytest.raises(TypeError):
        account_row({"id": 7, "number": "1920"})


def test_names_numbers_and_percentages_read_exactly() -> None:
    assert employee_row({"id": 1, "firstName": "Kari", "lastName": "Nordmann"}) == (
        1,
        "Kari Nordmann",
    )
    assert employee_row({"id": 1}) == (1, None)
    assert vat_type_row({"id": 3, "number": "3", "name": "Utgående", "percentage": 12.5}) == (
        3,
        "3",
        "Utgående",
        Decimal("12.5"),
    )
    assert dimension_name_row({"id": 9, "dimensionIndex": 2, "dimensionName": "Kanal"}) == (
        2,
        "Kanal",
        True,
    )
    customers = next(r for r in REGISTERS if r.table == "customers")
    # the spec gives every party both numbers; 0 is no number, and "" no organization number
    row = customers.parse({"id": 5, "customerNumber": 0, "name": "X", "organizationNumber": ""})
    assert row == (5, None, "X", None, False)


@dataclass
class FakeAccess:
    """What the refresh needs of the worker's Access: a client, and calls made with one auth."""

    client: TripletexClient
    auth: Auth
    calls: int = 0

    async def call(self, org_id: int, username: int, request: Callable[[Auth], Awaitable[T]]) -> T:
        self.calls += 1
        return await request(self.auth)


@dataclass
class FakeResources:
    pool: asyncpg.Pool
    access: FakeAccess


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SCENARIO, Faults(rate_limit=100_000)) as server:
        yield server


async def resources(
    database_url: str, http: aiohttp.ClientSession, sandbox: SandboxServer, label: str
) -> tuple[FakeResources, int, int]:
    """Resources acting with the labelled token, an organization of its company; (res, org,
    company)."""
    client = TripletexClient(http, sandbox.base_url)
    session = await client.create_session(TRUTH["consumer_token"], TRUTH["tokens"][label], EXPIRES)
    company = (await client.who_am_i(session.auth())).company_id
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    org_id = await pool.fetchval(Q["org_insert"], "Fjord AS", "api", "tripletex", "syncing")
    await pool.execute("UPDATE organizations SET company_id = $2 WHERE id = $1", org_id, company)
    return FakeResources(pool, FakeAccess(client, session.auth())), org_id, company


async def refreshes(pool: asyncpg.Pool, org_id: int) -> dict[str, tuple[Any, Any]]:
    rows = await pool.fetch(Q["register_refreshes_of_org"], org_id)
    return {r["register"]: (r["listed"], r["refused"]) for r in rows}


async def test_a_register_the_token_may_not_read_is_recorded_and_the_rest_go_on(
    database_url: str, sandbox: SandboxServer
) -> None:
    async with aiohttp.ClientSession() as http:
        res, org_id, company = await resources(database_url, http, sandbox, "no_ledger_access")
        try:
            await refresh_registers(res, org_id)  # type: ignore[arg-type]
            assert res.access.calls == len(REGISTERS), "one request per register"
            done = await refreshes(res.pool, org_id)
            assert set(done) == {r.table for r in REGISTERS}
            for table, (listed, refused) in done.items():
                if table in LEDGER_REGISTERS:
                    assert (listed, refused[:3]) == (None, "403"), table
                else:
                    assert listed, table
                    assert refused is None, table
            truth = registers_for(company)
            ids = {r["id"] for r in await res.pool.fetch("SELECT id FROM customers")}
            assert ids == {c.id for c in truth.customers}
            assert not await res.pool.fetchval("SELECT count(*) FROM ledger_accounts")
        finally:
            await res.pool.close()


async def test_a_refresh_is_idempotent_and_keeps_what_the_source_no_longer_lists(
    database_url: str, sandbox: SandboxServer
) -> None:
    async with aiohttp.ClientSession() as http:
        res, org_id, _ = await resources(database_url, http, sandbox, "good")
        try:
            await refresh_registers(res, org_id)  # type: ignore[arg-type]
            assert all(
                refused is None for _, refused in (await refreshes(res.pool, org_id)).values()
            )
            # a project the source listed once, and no longer does
            await res.pool.execute(
                "INSERT INTO projects (org_id, id, number, name) VALUES ($1, 1, 'P-1', 'Gone')",
                org_id,
            )
            versions = "SELECT id, xmin::text AS v FROM customers ORDER BY id"
            before = await res.pool.fetch(versions)
            await refresh_registers(res, org_id)  # type: ignore[arg-type]
            assert await res.pool.fetch(versions) == before, "unchanged rows were rewritten"
            gone = await res.pool.fetchrow("SELECT name, at_source FROM projects WHERE id = 1")
            assert (gone["name"], gone["at_source"]) == ("Gone", False)
            listed = await res.pool.fetchval(
                "SELECT count(*) FROM projects WHERE org_id = $1 AND at_source", org_id
            )
            assert listed == len(registers_for(201).projects)
        finally:
            await res.pool.close()
