"""Fixtures for the sandbox tests: the `small` scenario, a shared server, and a tiny test client."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from sandbox.faults import Faults
from sandbox.scenario import Scenario, build_scenario
from sandbox.server import SandboxServer

#: the sandbox's default rate limit is realistic (100 per 60 s); the tests run without one
FAST = Faults(rate_limit=100_000)


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    """The `small` scenario, seed 1."""
    return build_scenario("small", 1)


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """One client session for every test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
async def small_server(small_scenario: Scenario) -> AsyncIterator[SandboxServer]:
    """A sandbox on the small scenario shared by read-only tests (never change its faults)."""
    async with SandboxServer(small_scenario, FAST) as server:
        yield server


class Tx:
    """A minimal Tripletex client for tests: sessions, Basic auth and GETs."""

    def __init__(self, http: aiohttp.ClientSession, server: SandboxServer) -> None:
        self.http = http
        self.server = server
        self.scenario = server.scenario

    async def create(self, label: str = "good", **overrides: str) -> aiohttp.ClientResponse:
        """POST :create for a token label (fields in `overrides` replace the body's)."""
        body = {
            "consumerToken": self.scenario.consumer.value,
            "employeeToken": self.scenario.token(label).value,
            "expirationDate": "2099-01-01",
        } | overrides
        async with self.http.post(f"{self.server.base_url}/token/session/:create", json=body) as r:
            await r.read()
            return r

    async def session(self, label: str = "good") -> str:
        """A fresh session token for a token label."""
        body = {
            "consumerToken": self.scenario.consumer.value,
            "employeeToken": self.scenario.token(label).value,
            "expirationDate": "2099-01-01",
        }
        async with self.http.post(f"{self.server.base_url}/token/session/:create", json=body) as r:
            assert r.status == 201, await r.text()
            token: str = (await r.json())["value"]["token"]
            return token

    @staticmethod
    def auth(token: str, username: str = "0") -> dict[str, str]:
        """The Basic authorization header."""
        return {
            "Authorization": "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()
        }

    async def get(
        self,
        path: str,
        token: str,
        username: str = "0",
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> tuple[aiohttp.ClientResponse, Any]:
        """GET a path under /v2; returns the response and its JSON body (None when empty)."""
        url = self.server.base_url + path
        all_headers = self.auth(token, username) | (headers or {})
        query = {k: str(v) for k, v in params.items()}
        async with self.http.get(url, headers=all_headers, params=query) as response:
            raw = await response.read()
            return response, (await response.json(content_type=None) if raw else None)

    async def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call the control API; returns status and JSON body (None when empty)."""
        url = self.server.control_url + path
        async with self.http.request(method, url, json=body) as response:
            raw = await response.read()
            return response.status, (await response.json() if raw else None)


@pytest.fixture
def tx(http: aiohttp.ClientSession, small_server: SandboxServer) -> Tx:
    """A test client on the shared small server."""
    return Tx(http, small_server)


@pytest.fixture
def tx_for(http: aiohttp.ClientSession) -> Callable[[SandboxServer], Tx]:
    """Make a test client for a server the test starts itself."""
    return lambda server: Tx(http, server)


@pytest.fixture
async def fresh(http: aiohttp.ClientSession, small_scenario: Scenario) -> AsyncIterator[Tx]:
    """A test client on a server of its own (for tests that change data or faults)."""
    async with SandboxServer(small_scenario, FAST) as server:
        yield Tx(http, server)
