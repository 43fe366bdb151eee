"""Redis unreachable: every command that needs it says so in one sentence within seconds, exit 2,
before it changes anything."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from cli_inproc import Invoke, sql

TOKEN = b"eyJ0b2tlbklkIjoxLCJ0b2tlbiI6Imdvb2QifQ"

#: every command that sends work or reads Redis, with arguments that would otherwise do something
NEEDING_REDIS = (
    ("org", "add", "Ny AS", "--method", "api", "--token-stdin"),
    ("org", "select", "Bakeri AS", "202"),
    ("org", "token", "Bakeri AS", "--token-stdin"),
    ("org", "sync", "Bakeri AS"),
    ("org", "resume", "Bakeri AS"),
    ("jobs", "retry", "--all"),
    ("status",),
    ("worker",),
    ("scheduler",),
    ("tui",),
)


@pytest.fixture
def org_id(cli: Invoke, database_url: str) -> int:
    done = cli("org", "add", "Bakeri AS", "--method", "api", "--token-stdin", stdin=TOKEN)
    assert done.code == 0, done.stderr
    org = int(done.stdout)
    sql(
        database_url,
        "INSERT INTO companies (org_id, company_id, name, is_own) "
        "VALUES ($1, 202, 'Beta AS', false)",
        org,
    )
    return org


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A Redis URL whose port accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def _snapshot(database_url: str) -> str:
    rows = sql(
        database_url,
        "SELECT id, name, state, company_id, updated_at FROM organizations ORDER BY id",
    )
    return json.dumps([dict(r) for r in rows], default=str)


@pytest.mark.parametrize("args", NEEDING_REDIS, ids=lambda a: " ".join(a[:2]))
def test_refused_redis_is_one_sentence_exit_2_and_nothing_changed(
    cli: Invoke,
    org_id: int,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    before = _snapshot(database_url)
    monkeypatch.setenv("LEDGERSYNC_REDIS_URL", "redis://127.0.0.1:1/0")
    started = time.monotonic()
    done = cli(*args, stdin=TOKEN)
    assert time.monotonic() - started < 5
    assert done.code == 2, done
    assert done.stderr.strip() == (
        "Cannot reach Redis; check LEDGERSYNC_REDIS_URL (and that Redis runs), or unset it to "
        "use the embedded one."
    )
    assert _snapshot(database_url) == before


def test_a_redis_that_never_answers_is_reported_within_seconds(
    cli: Invoke, org_id: int, monkeypatch: pytest.MonkeyPatch, silent_redis: str
) -> None:
    monkeypatch.setenv("LEDGERSYNC_REDIS_URL", silent_redis)
    started = time.monotonic()
    done = cli("org", "sync", "Bakeri AS")
    assert time.monotonic() - started < 8
    assert done.code == 2
    assert "Cannot reach Redis" in done.stderr


def test_commands_that_only_read_postgres_do_not_need_redis(
    cli: Invoke, org_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERSYNC_REDIS_URL", "redis://127.0.0.1:1/0")
    assert cli("org", "list").code == 0
    assert cli("org", "show", "Bakeri AS").code == 0
