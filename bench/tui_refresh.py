"""`python -m bench.tui_refresh`: the terminal UI at scale (a benchmark, not a test).

1,000 organizations and 50,000 chunks in a fresh database (plus their years, check runs, audit
lines and failed jobs), then:

- the database time of one home-screen refresh: the `orgs_overview` query as Postgres executes
  it (EXPLAIN ANALYZE) and as the UI's source receives it (round trip and decoding included);
- the UI's answer to a key press while it refreshes every 0.2 s and the data keeps changing:
  Pilot presses j/k and times each until the App has handled it and is idle again.

Goals (issue 5): under 50 ms of database time per refresh; a key press answered within 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass

from bench.tui_world import fill
from bench.world import _servers  # the benchmarks' embedded servers, under bench-home
from shared.config import Settings
from shared.db import connect, with_database
from shared.db.migrate import fresh_database
from shared.db.queries import Q
from tui.app import REFRESH_S

#: the database the benchmark fills (dropped and made again each run)
DATABASE = "bench_tui"
#: goals of issue 5, in milliseconds
REFRESH_GOAL_MS, KEY_GOAL_MS = 50.0, 100.0


@dataclass(frozen=True)
class Spread:
    """Milliseconds: median, 95th percentile, worst."""

    median: float
    p95: float
    worst: float

    @classmethod
    def of(cls, samples: list[float]) -> Spread:
        """The spread of samples in seconds, as milliseconds."""
        ms = sorted(s * 1000 for s in samples)
        return cls(statistics.median(ms), ms[int(0.95 * (len(ms) - 1))], ms[-1])

    def line(self, what: str, goal: float) -> str:
        """A row of the printed table."""
        verdict = "ok" if self.p95 < goal else "OVER"
        return (
            f"| {what} | {self.median:.1f} | {self.p95:.1f} | {self.worst:.1f} | "
            f"< {goal:.0f} | {verdict} |"
        )


async def empty_database(settings: Settings) -> str:
    """An empty, migrated database for this benchmark."""
    assert settings.database_url is not None
    url = with_database(settings.database_url, DATABASE)
    await fresh_database(url)
    return url


async def query_times(url: str, runs: int) -> tuple[Spread, Spread]:
    """(server execution, round trip) of the home screen's query."""
    from tui.pg_source import PgSource

    conn = await connect(url)
    executed = []
    try:
        for _ in range(runs):
            plan = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + Q["orgs_overview"])
            executed.append(plan[0]["Execution Time"] / 1000)
    finally:
        await conn.close()
    settings = Settings.from_env(
        {
            **os.environ,
            "LEDGERSYNC_DATABASE_URL": url,
            "LEDGERSYNC_REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    source = PgSource(settings)
    trips = []
    try:
        for _ in range(runs):
            start = time.perf_counter()
            await source.overview()
            trips.append(time.perf_counter() - start)
    finally:
        await source.close()
    return Spread.of(executed), Spread.of(trips)


@dataclass(frozen=True)
class TuiResult:
    """What one run measured."""

    orgs: int
    chunks: int
    executed: Spread
    trip: Spread
    #: key-press answer times by refresh interval (None: pressed as each refresh lands)
    keys: dict[float | None, Spread]
    refreshes: dict[float | None, int]

    def table(self) -> str:
        """The figures as Markdown, with the goals."""
        lines = [
            "| what | median ms | p95 ms | worst ms | goal ms | |",
            "|---|---:|---:|---:|---:|---|",
            self.executed.line(
                "home refresh: database execution (EXPLAIN ANALYZE)", REFRESH_GOAL_MS
            ),
            self.trip.line("home refresh: round trip to the UI's source", REFRESH_GOAL_MS),
        ]
        for every, spread in self.keys.items():
            when = f"every {every:g} s" if every else "pressed as each refresh lands"
            during = f"refresh {when}; {self.refreshes[every]} refreshes"
            lines.append(spread.line(f"key press answered ({during})", KEY_GOAL_MS))
        return "\n".join(lines)


def run(orgs: int, chunks: int, runs: int = 50, presses: int = 200) -> TuiResult:
    """Fill a database, time the home refresh and the key presses."""
    from bench.tui_keys import key_latency

    with _servers() as settings:
        url = asyncio.run(empty_database(settings))
        asyncio.run(fill(url, orgs, chunks))
        executed, trip = asyncio.run(query_times(url, runs))
        assert settings.redis_url is not None
        redis_url = settings.redis_url
        latencies = {
            every: asyncio.run(key_latency(url, redis_url, presses, every))
            for every in (REFRESH_S, None)
        }
    return TuiResult(
        orgs,
        chunks,
        executed,
        trip,
        {every: Spread.of(lat.moved) for every, lat in latencies.items()},
        {every: lat.refreshes for every, lat in latencies.items()},
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, run once, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.tui_refresh", description=__doc__)
    parser.add_argument("--orgs", type=int, default=1_000)
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50, help="refreshes timed")
    parser.add_argument("--presses", type=int, default=200, help="key presses timed")
    args = parser.parse_args(argv)
    result = run(args.orgs, args.chunks, args.runs, args.presses)
    print(f"## Terminal UI at scale ({args.orgs:,} organizations, {args.chunks:,} chunks)\n")
    print(result.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
