"""Embedded servers: real Postgres and Redis under a home, shared, stopped by the last user."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from shared.config import Settings
from shared.embedded import EmbeddedServers, _alive, servers_for

HOLDER = """
import sys, time
from pathlib import Path
from shared.embedded import EmbeddedServers
urls = EmbeddedServers(Path(sys.argv[1]), durable=False).acquire()
print(urls.database_url, urls.redis_url, flush=True)
sys.stdin.read()  # hold the servers until told to go
"""


@pytest.fixture
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def _server_pids(servers: EmbeddedServers) -> tuple[int | None, int | None]:
    return servers.postgres.pid(), servers.redis.pid()


def test_last_user_stops_the_servers_and_data_survives(home: Path) -> None:
    servers = EmbeddedServers(home, durable=False)
    urls = servers.acquire()
    client = redis.Redis.from_url(urls.redis_url)
    assert client.ping()
    client.set("kept", "yes")
    client.close()
    pg_pid, redis_pid = _server_pids(servers)
    assert pg_pid
    assert redis_pid
    servers.release()
    assert not _alive(pg_pid)
    assert not _alive(redis_pid)
    assert (home / "postgres" / "PG_VERSION").exists(), "data stays under the home"

    again = servers.acquire()
    try:
        client = redis.Redis.from_url(again.redis_url)
        assert client.get("kept") == b"yes", "Redis data survives a clean stop"
        client.close()
    finally:
        servers.release()


def test_a_second_process_reuses_the_running_servers(home: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        held_urls = holder.stdout.readline().split()
        servers = EmbeddedServers(home, durable=False)
        urls = servers.acquire()
        assert [urls.database_url, urls.redis_url] == held_urls
        pg_pid, _ = _server_pids(servers)
        servers.release()
        assert pg_pid
        assert _alive(pg_pid), "the holder still uses them"
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # The holder exited without releasing: the next user prunes it, and its release stops all.
    servers.acquire()
    servers.release()
    assert _server_pids(servers) == (None, None)


def test_a_killed_user_is_pruned(home: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None
    holder.stdout.readline()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    state = json.loads((home / "servers.json").read_text())
    assert holder.pid in state["users"]
    servers = EmbeddedServers(home, durable=False)
    servers.acquire()
    servers.release()
    assert _server_pids(servers) == (None, None)
    assert json.loads((home / "servers.json").read_text())["users"] == []


def test_configured_urls_are_used_as_given(home: Path) -> None:
    given = Settings.from_env(
        {
            "LEDGERSYNC_HOME": str(home),
            "LEDGERSYNC_DATABASE_URL": "postgresql://u@db.example:5432/x",
            "LEDGERSYNC_REDIS_URL": "redis://cache.example:6379/0",
        }
    )
    with servers_for(given) as settings:
        assert settings is given
    assert not (home / "servers.json").exists(), "nothing embedded was started"


def test_nested_use_in_one_process_keeps_the_servers_until_the_outermost_ends(home: Path) -> None:
    settings = Settings.from_env({"LEDGERSYNC_HOME": str(home)})
    with servers_for(settings, durable=False) as outer:
        with servers_for(settings, durable=False):
            pass
        assert outer.redis_url is not None
        client = redis.Redis.from_url(outer.redis_url)
        assert client.ping(), "the inner block must not stop the servers the outer one uses"
        client.close()
    assert _server_pids(EmbeddedServers(home)) == (None, None)
