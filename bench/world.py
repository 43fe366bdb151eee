"""What every benchmark needs: a sandbox process, real servers, fresh databases, measures."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
import psutil
import redis

from shared.config import Settings
from shared.db import connect, with_database
from shared.db import migrate as migrations
from shared.embedded import free_port, servers_for

ROOT = Path(__file__).resolve().parent.parent
#: the benchmarks' own LEDGERSYNC_HOME (embedded servers), apart from the demo's and the tests'
BENCH_HOME = ROOT / ".ledgersync" / "bench-home"
#: how long one import may take before the benchmark gives up
IMPORT_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Measure:
    """A count done in a time, and what to say beside it."""

    name: str
    count: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        """Items per second."""
        return self.count / self.seconds if self.seconds else 0.0

    def with_note(self, note: str) -> Measure:
        """The same measure with a note."""
        return replace(self, note=note)


@dataclass(frozen=True)
class Value:
    """A figure for the summary table only (the sections show it in their own words)."""

    name: str
    value: float


#: what a benchmark module returns: measures, free-text lines, figures for the summary
Row = Measure | Value | str


@contextlib.contextmanager
def _servers() -> Iterator[Settings]:
    environ = dict(os.environ)
    environ.setdefault("LEDGERSYNC_HOME", str(BENCH_HOME))
    with servers_for(Settings.from_env(environ), durable=False) as settings:
        yield settings


class BenchWorld:
    """A sandbox process on a bench scenario, and the servers to import into."""

    def __init__(
        self,
        settings: Settings,
        sandbox: subprocess.Popen[bytes],
        port: int,
        scenario: dict[str, Any],
        years: list[int],
    ) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.base_url = f"http://127.0.0.1:{port}/v2"
        self.consumer_token = str(scenario["consumer_token"])
        self.token = str(scenario["tokens"]["good"])
        self.accountant_token = str(scenario["tokens"]["accountant"])
        #: the client companies of the scenario (the accountant's own and the extras left out)
        self.clients = [
            int(c["id"]) for c in scenario["companies"] if "accountant" in c["reached_by"]
        ]
        self.years = years
        #: the good token's company
        self.company_id = next(
            int(c["id"]) for c in scenario["companies"] if "good" in c["reached_by"]
        )
        self.expires = dt.date.today() + dt.timedelta(days=2)
        self.secret_key = secrets.token_urlsafe(24)
        #: how to run the ledgersync command line
        self.cli = [sys.executable, "-c", "from cli.main import main; main()"]

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        *,
        postings: int,
        years: int,
        faults: tuple[str, ...] = (),
        companies: int = 1,
        big_day: int = 0,
    ) -> AsyncIterator[BenchWorld]:
        """Start the sandbox (no rate limit unless `faults` set one) and the servers.

        `companies` clients of one accounting firm hold `postings` over `years` each (plus
        `big_day` on one day, 31 December of the newest full year); the "good" token reaches
        the first, the "accountant" token all of them.
        """
        sizes = [
            "--scenario",
            "bench",
            "--companies",
            str(companies),
            "--postings",
            str(postings),
            "--years",
            str(years),
            "--big-day",
            str(big_day),
        ]
        described = subprocess.run(  # noqa: ASYNC221 - once, before anything runs
            [sys.executable, "-m", "sandbox", *sizes, "--describe"],
            capture_output=True,
            check=True,
        )
        scenario = orjson.loads(described.stdout)
        company = next(c for c in scenario["companies"] if "good" in c["reached_by"])
        port = free_port()
        limits = faults or ("--rate-limit", "1000000000")
        # every page stays in memory once rendered, so a warmed sandbox is not what limits a run
        cache = ["--page-cache-mb", str(max(128, companies * postings // 1000))]
        sandbox = subprocess.Popen(  # noqa: ASYNC220 - a server outliving this coroutine
            [sys.executable, "-m", "sandbox", *sizes, "--port", str(port), *limits, *cache],
            stdout=subprocess.DEVNULL,
        )
        try:
            await _wait_port(port)
            with _servers() as settings:
                yield cls(settings, sandbox, port, scenario, sorted(map(int, company["years"])))
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)

    async def fresh_database(self, name: str) -> str:
        """An empty, migrated database of this name (dropped first if it exists)."""
        assert self.settings.database_url is not None
        url = with_database(self.settings.database_url, name)
        await migrations.fresh_database(url)
        return url

    def env(self, database_url: str) -> dict[str, str]:
        """The environment of the ledgersync processes a benchmark starts."""
        assert self.settings.redis_url is not None
        return {
            **os.environ,
            "LEDGERSYNC_DATABASE_URL": database_url,
            "LEDGERSYNC_REDIS_URL": self.settings.redis_url,
            "LEDGERSYNC_TRIPLETEX_URL": self.base_url,
            "LEDGERSYNC_CONSUMER_TOKEN": self.consumer_token,
            "LEDGERSYNC_SECRET_KEY": self.secret_key,
            "LEDGERSYNC_LOG_FORMAT": "json",
        }

    async def wait_workers_ready(self, database_url: str, patience: float = 60.0) -> None:
        """Until a worker's heartbeat is in Redis (its first one comes once it consumes)."""
        assert self.settings.redis_url is not None
        client = redis.Redis.from_url(self.settings.redis_url)
        client.flushdb()
        deadline = time.monotonic() + patience
        while not client.zcard("dramatiq:__heartbeats__"):
            if time.monotonic() > deadline:
                raise TimeoutError("no worker came up")
            await asyncio.sleep(0.1)
        client.close()

    async def register(self, env: dict[str, str]) -> int:
        """`ledgersync org add` with the good token (it reaches one company: selected at once)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "org",
            "add",
            f"bench-{secrets.token_hex(3)}",
            "--method",
            "api",
            "--token-stdin",
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate(self.token.encode())
        return int(out)

    async def wait_synced(self, database_url: str, org_id: int, worker: psutil.Process) -> float:
        """Poll until synced; return the worker processes' peak RSS in MB meanwhile."""
        conn = await connect(database_url)
        peak = 0.0
        deadline = time.monotonic() + IMPORT_TIMEOUT_S
        try:
            while True:
                peak = max(peak, _tree_rss_mb(worker))
                state = await conn.fetchval("SELECT state FROM organizations WHERE id=$1", org_id)
                if state in ("synced", "needs_attention"):
                    if state != "synced":
                        raise RuntimeError(f"the import ended in {state}")
                    return peak
                if time.monotonic() > deadline:
                    raise TimeoutError(f"still {state} after {IMPORT_TIMEOUT_S:.0f} s")
                await asyncio.sleep(0.1)
        finally:
            await conn.close()


def _tree_rss_mb(process: psutil.Process) -> float:
    """The largest resident set among a process's children (the Dramatiq worker processes)."""
    with contextlib.suppress(psutil.Error):
        children = process.children(recursive=True) or [process]
        return max(child.memory_info().rss for child in children) / 2**20
    return 0.0


async def _wait_port(port: int, patience: float = 30.0) -> None:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the sandbox did not listen on {port}")
