"""Fixtures for the SAF-T tests: a pool, a broker that only sends, settings, an organization."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from dramatiq.brokers.redis import RedisBroker
from saft_support import SaftWorld, World

from shared import orgs
from shared.config import Settings
from shared.db import create_pool
from shared.models import Method
from shared.queue import sender


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on this test's database, as a worker has."""
    opened = await create_pool(database_url, min_size=1, max_size=4)
    yield opened
    await opened.close()


@pytest.fixture
def broker(redis_url: str) -> Iterator[RedisBroker]:
    """A broker that sends to the test's Redis (no worker consumes it: tests run imports)."""
    sending = sender(redis_url)
    yield sending
    sending.close()


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    """Settings with a LEDGERSYNC_HOME of this test's own."""
    return Settings(home=tmp_path / "home", database_url=database_url, redis_url=redis_url)


@pytest.fixture
async def saft(
    pg: asyncpg.Connection,
    pool: asyncpg.Pool,
    broker: RedisBroker,
    settings: Settings,
    tmp_path: Path,
) -> SaftWorld:
    """Everything a SAF-T import test needs, with a SAF-T organization awaiting its file."""
    org_id = await orgs.register(pg, orgs.NewOrg("Fil og Fakta AS", Method.SAFT))
    return SaftWorld(pg, pool, broker, settings, org_id, tmp_path)


@pytest.fixture
async def world(database_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """Servers, a home, and a worker started on demand (stopped afterwards)."""
    env = {
        **os.environ,
        "LEDGERSYNC_DATABASE_URL": database_url,
        "LEDGERSYNC_REDIS_URL": redis_url,
        "LEDGERSYNC_HOME": str(tmp_path / "home"),
        "LEDGERSYNC_LOG_FORMAT": "json",
        "LEDGERSYNC_SECRET_KEY": secrets.token_urlsafe(24),
    }
    found = World(env, tmp_path)
    try:
        yield found
    finally:
        await found.stop_workers()
