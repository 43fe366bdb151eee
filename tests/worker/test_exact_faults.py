"""Network faults at one exact request, which no server produces on demand.

aioresponses raises the fault for the one request named and hands every other request to the
real sandbox (`passthrough_unmatched`): the client and `Access` are tested against a real server
with a DNS failure, a refused connection or a timeout exactly where a test wants it. (It only
raises: aioresponses cannot build answers on aiohttp 3.14, aioresponses#289, and answers come from
the sandbox anyway.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses
from yarl import URL

from sandbox.faults import Faults
from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.models import Method, Provider
from shared.orgs import NewOrg, register
from worker.tripletex.access import TRANSIENT_TRIES, Access
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import TransientUpstream, Unreachable
from worker.tripletex.protocol import RawPage

SCENARIO = build_scenario("small", seed=1)
TRUTH = describe(SCENARIO)
GOOD = TRUTH["tokens"]["good"]
EXPIRES = dt.date.today() + dt.timedelta(days=2)
PAGE = 100


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[SandboxServer]:
    """The healthy sandbox, without its rate limit."""
    async with SandboxServer(SCENARIO, Faults(rate_limit=100_000)) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[TripletexClient]:
    """A client of the sandbox, on the session a worker would inject."""
    async with aiohttp.ClientSession() as http:
        yield TripletexClient(http, sandbox.base_url)


@pytest.fixture
async def access(
    database_url: str,
    pg: asyncpg.Connection,
    client: TripletexClient,
    sandbox: SandboxServer,
    tmp_path: Path,
) -> AsyncIterator[tuple[Access, int]]:
    """`Access` for an organization with the good token, and its id."""
    cipher = TokenCipher("a test key of some length")
    new = NewOrg("Fjordlys", Method.API, Provider.TRIPLETEX, token=GOOD)
    org_id = await register(pg, new, cipher=cipher)
    pool = await create_pool(database_url, max_size=2)
    settings = Settings(
        tmp_path, tripletex_url=sandbox.base_url, consumer_token=TRUTH["consumer_token"]
    )
    try:
        yield Access(pool=pool, client=client, cipher=cipher, settings=settings), org_id
    finally:
        await pool.close()


def request_to(sandbox: SandboxServer, path: str, query: str = "") -> re.Pattern[str]:
    """The URL of one request to the sandbox: its path, and a piece of its query if given."""
    base = re.escape(f"{sandbox.base_url}{path}")
    return re.compile(f"^{base}(\\?.*{re.escape(query)}.*)?$" if query else f"^{base}(\\?.*)?$")


def refused(sandbox: SandboxServer) -> aiohttp.ClientConnectorError:
    """What aiohttp raises when nothing listens."""
    url = URL(sandbox.base_url)
    key = ConnectionKey(url.host, url.port, False, True, None, None, None, None)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


def unresolved(sandbox: SandboxServer) -> aiohttp.ClientConnectorDNSError:
    """What aiohttp raises when the host name does not resolve."""
    url = URL(sandbox.base_url)
    key = ConnectionKey(url.host, url.port, False, True, None, None, None, None)
    return aiohttp.ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))


async def test_a_timeout_on_exactly_the_second_page_is_transient_after_the_first_was_read(
    client: TripletexClient, sandbox: SandboxServer
) -> None:
    auth = (await client.create_session(TRUTH["consumer_token"], GOOD, EXPIRES)).auth()
    year = int(next(iter(TRUTH["companies"][0]["years"])))
    pages: list[RawPage] = []
    with aioresponses(passthrough_unmatched=True) as faults:
        faults.get(
            request_to(sandbox, "/ledger/posting", f"from={PAGE}&"),
            exception=aiohttp.SocketTimeoutError("Timeout on reading data from socket"),
        )
        reading = client.iter_raw_postings(auth, dt.date(year, 1, 1), dt.date(year + 1, 1, 1), PAGE)
        pages.append(await anext(reading))
        with pytest.raises(TransientUpstream) as raised:
            await anext(reading)
    assert [page.start for page in pages] == [0], "the first page was read, the second not"
    assert pages[0].count == PAGE
    assert "broke off" in str(raised.value)
    assert "GET /ledger/posting" in str(raised.value)


async def test_access_rides_out_a_dns_failure_and_a_refused_connection_on_one_request(
    access: tuple[Access, int], client: TripletexClient, sandbox: SandboxServer
) -> None:
    calls, org_id = access
    truth = TRUTH["companies"][0]
    with aioresponses(passthrough_unmatched=True) as faults:
        who = request_to(sandbox, "/token/session/%3EwhoAmI")
        faults.get(who, exception=unresolved(sandbox))
        faults.get(who, exception=refused(sandbox))
        me = await calls.call(org_id, 0, client.who_am_i)
        asked = sum(len(made) for (_, url), made in faults.requests.items() if "whoAmI" in str(url))
    assert me.company_id == truth["id"], "the third try reached the sandbox"
    assert asked == 3


async def test_access_gives_up_after_its_tries_with_a_sentence_that_names_the_host(
    access: tuple[Access, int], client: TripletexClient, sandbox: SandboxServer
) -> None:
    calls, org_id = access
    await calls.session(org_id)  # the session is made before Tripletex goes away
    with aioresponses(passthrough_unmatched=True) as faults:
        who = request_to(sandbox, "/token/session/%3EwhoAmI")
        for _ in range(TRANSIENT_TRIES):
            faults.get(who, exception=refused(sandbox))
        with pytest.raises(Unreachable) as raised:
            await calls.call(org_id, 0, client.who_am_i)
    host = URL(sandbox.base_url)
    assert f"no connection to {host.host}:{host.port}" in str(raised.value)
    assert GOOD not in str(raised.value)


async def test_a_refused_session_request_is_unreachable_and_carries_no_token(
    client: TripletexClient, sandbox: SandboxServer
) -> None:
    with aioresponses(passthrough_unmatched=True) as faults:
        faults.post(request_to(sandbox, "/token/session/:create"), exception=refused(sandbox))
        with pytest.raises(Unreachable) as raised:
            await client.create_session(TRUTH["consumer_token"], GOOD, EXPIRES)
        second = await client.create_session(TRUTH["consumer_token"], GOOD, EXPIRES)
    told = str(raised.value)
    assert "POST /token/session/:create" in told
    assert GOOD not in told
    assert TRUTH["consumer_token"] not in told
    assert second.token, "the next request went through to the sandbox"
