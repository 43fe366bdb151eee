"""Sessions kept alive: a session that dies before its first use is renewed; a refusal is final."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from structlog.testing import capture_logs

from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.db.queries import Q
from shared.models import Method, Provider
from shared.orgs import NewOrg, register
from worker.tripletex.access import Access
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import Unauthorized
from worker.tripletex.protocol import Auth, WhoAmI

SCENARIO = build_scenario("small", seed=1)
TRUTH = describe(SCENARIO)
CLIENT_COMPANY = 202
CREATE_SESSION = "POST /v2/token/session/:create"


@pytest.fixture
async def world(
    database_url: str, pg: asyncpg.Connection, tmp_path: Path
) -> AsyncIterator[tuple[Access, SandboxServer, int]]:
    """An accountant's organization, the sandbox, and `Access` for them."""
    cipher = TokenCipher("a test key of some length")
    token = TRUTH["tokens"]["accountant"]
    new = NewOrg("Regnskapskontoret", Method.API, Provider.TRIPLETEX, token=token)
    org_id = await register(pg, new, cipher=cipher)
    async with (
        SandboxServer(SCENARIO) as server,
        aiohttp.ClientSession() as http,
    ):
        pool = await create_pool(database_url, max_size=2)
        settings = Settings(
            tmp_path, tripletex_url=server.base_url, consumer_token=TRUTH["consumer_token"]
        )
        client = TripletexClient(http, server.base_url)
        try:
            yield Access(pool=pool, client=client, cipher=cipher, settings=settings), server, org_id
        finally:
            await pool.close()


async def test_a_new_session_dead_before_its_first_use_is_renewed(
    world: tuple[Access, SandboxServer, int],
) -> None:
    access, server, org_id = world
    calls: list[Auth] = []

    async def slow_then_quick(auth: Auth) -> WhoAmI:
        calls.append(auth)
        if len(calls) == 1:  # as if waiting on the rate limit until the session is gone
            server.state.sessions.expire_all()
        return await access.client.who_am_i(auth)

    me = await access.call(org_id, CLIENT_COMPANY, slow_then_quick)
    assert me.company_id == CLIENT_COMPANY
    assert len(calls) == 2
    assert calls[0].session_token != calls[1].session_token
    assert server.state.counters.to_json()["by_endpoint"][CREATE_SESSION] == 2


async def test_a_request_refused_with_a_working_new_session_is_final(
    world: tuple[Access, SandboxServer, int],
) -> None:
    access, server, org_id = world
    unreachable = 999_999  # no company the token may log in to: 401 while the session works
    with pytest.raises(Unauthorized):
        await access.call(org_id, unreachable, access.client.who_am_i)
    assert server.state.counters.to_json()["by_endpoint"][CREATE_SESSION] == 1, "renewed in vain"


async def test_the_session_log_line_names_the_token_by_its_shown_fingerprint(
    world: tuple[Access, SandboxServer, int], pg: asyncpg.Connection
) -> None:
    access, _, org_id = world
    with capture_logs() as logs:
        await access.renew(org_id, stale_generation=-1)
    created = [line for line in logs if line["event"] == "session_created"]
    shown = await pg.fetchval(Q["org_by_id"], org_id, column="token_fingerprint")
    assert shown == access.cipher.fingerprint(TRUTH["tokens"]["accountant"])
    assert [line["fingerprint"] for line in created] == [shown]
