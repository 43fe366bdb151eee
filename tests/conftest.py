"""Test session: real Postgres and Redis, the configured ones or embedded ones started here.

Tests that need Postgres get a database of their own, cloned from a migrated template
(`CREATE DATABASE … TEMPLATE`), so they are isolated without truncating anything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from shared.config import Settings
from shared.db import connect, drop_database, ensure_database, with_database
from shared.db.migrate import apply_migrations
from shared.embedded import servers_for

#: the test session's own LEDGERSYNC_HOME, apart from a user's demo data; reused across runs
TEST_HOME = Path(__file__).resolve().parent.parent / ".ledgersync" / "test-home"


#: seconds a `slow` soak may run (the default per test, in pyproject.toml, is far shorter)
SOAK_TIMEOUT_S = 1800


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a server fixture as `integration`; give soaks their time."""
    server_fixtures = {"servers", "database_url", "pg", "redis_url", "redis_client", "template_db"}
    for item in items:
        if server_fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SOAK_TIMEOUT_S))


@pytest.fixture(scope="session")
def servers() -> Iterator[Settings]:
    """Settings pointing at real servers for the whole session."""
    environ = dict(os.environ)
    environ.setdefault("LEDGERSYNC_HOME", str(TEST_HOME))
    with servers_for(Settings.from_env(environ), durable=False) as settings:
        yield settings


@pytest.fixture(scope="session")
async def template_db(servers: Settings) -> AsyncIterator[str]:
    """A migrated database that each test's database is cloned from."""
    assert servers.database_url is not None
    url = with_database(servers.database_url, f"lstest_template_{uuid.uuid4().hex[:8]}")
    await ensure_database(url)
    conn = await connect(url)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    yield url
    await drop_database(url)


@pytest.fixture
async def database_url(template_db: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone; dropped afterwards."""
    url = with_database(template_db, f"lstest_{uuid.uuid4().hex[:12]}")
    template = template_db.rsplit("/", 1)[1]
    admin = await connect(with_database(template_db, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    yield url
    await drop_database(url)


@pytest.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to this test's database."""
    conn = await connect(database_url)
    yield conn
    await conn.close()


#: how long a test session may keep its Redis database claimed (renewed by nothing: a crashed
#: session's claim runs out by itself)
REDIS_CLAIM_S = 4 * 3600


@pytest.fixture(scope="session")
def session_redis_url(servers: Settings) -> Iterator[str]:
    """A Redis database of this test session's own: sessions running at once (a developer's and a
    helper's) claim different ones in database 0, and so never flush or take each other's work."""
    assert servers.redis_url is not None
    base = servers.redis_url.rsplit("/", 1)[0]
    claims = redis.Redis.from_url(f"{base}/0")
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    start = os.getpid() % 15
    for step in range(15):
        number = 1 + (start + step) % 15
        key = f"ledgersync:test-session:{number}"
        if claims.set(key, token, nx=True, ex=REDIS_CLAIM_S):
            break
    else:
        raise RuntimeError("every Redis database 1-15 is claimed by a running test session")
    try:
        yield f"{base}/{number}"
    finally:
        if claims.get(key) == token.encode():
            claims.delete(key)
        claims.close()


@pytest.fixture
def redis_url(session_redis_url: str) -> str:
    """The session's Redis database, emptied before the test."""
    client = redis.Redis.from_url(session_redis_url)
    client.flushdb()
    client.close()
    return session_redis_url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the session's (emptied) Redis."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
