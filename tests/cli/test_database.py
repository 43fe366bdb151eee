"""A configured database that is missing is an error, never created; `db create` makes it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from cli_inproc import invoke

from shared.db import drop_database, with_database


@pytest.fixture
def missing_url(template_db: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """LEDGERSYNC_DATABASE_URL naming a database that does not exist (dropped afterwards)."""
    url = with_database(template_db, f"lstest_typo_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("LEDGERSYNC_DATABASE_URL", url)
    monkeypatch.setenv("LEDGERSYNC_REDIS_URL", redis_url)
    monkeypatch.setenv("LEDGERSYNC_LOG_FORMAT", "json")
    yield url
    asyncio.run(drop_database(url))


def _exists(url: str) -> bool:
    from cli_inproc import sql

    name = url.rsplit("/", 1)[1]
    admin = with_database(url, "postgres")
    return bool(sql(admin, "SELECT 1 FROM pg_database WHERE datname = $1", name))


@pytest.mark.parametrize("args", [("org", "list"), ("db", "migrate"), ("status",)])
def test_a_missing_configured_database_is_one_sentence_and_not_created(
    missing_url: str, args: tuple[str, ...]
) -> None:
    done = invoke(*args)
    assert done.code == 2, done
    name = missing_url.rsplit("/", 1)[1]
    assert f"The database {name!r} does not exist" in done.stderr
    assert "ledgersync db create" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not _exists(missing_url)


def test_db_create_creates_it_once_then_commands_run(missing_url: str) -> None:
    first = invoke("db", "create")
    assert first.code == 0, first.stderr
    assert first.stdout.startswith("Created ")
    second = invoke("db", "create")
    assert second.code == 0, second.stderr
    assert "exists already" in second.stdout
    listed = invoke("org", "list", "--json")
    assert listed.code == 0, listed.stderr
    assert listed.stdout.strip() == "[]"
