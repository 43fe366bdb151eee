"""Rate-limited import: requests achieved ÷ requests allowed, and the share answered 429.

The sandbox allows LIMIT requests per WINDOW seconds per employee token, in windows that start
at a request; the workers share one budget through Redis. Achieved ÷ allowed is the sandbox's own
reckoning (`sandbox.ratelimit.usage`): requests served in every window but the last (where the
import runs out of work), over LIMIT per WINDOW of the time from the first window's start to the
last one's, so time lost between windows counts against the importer too.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import psutil

from bench.import_speed import LOGS
from bench.world import BenchWorld, Measure, Row, Value

LIMIT = 30
WINDOW_S = 3.0


async def _counters(control_url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(f"{control_url}/counters") as answer:
        counters: dict[str, object] = await answer.json()
        return counters


def run(postings: int, years: int) -> list[Row]:
    """Import one company under the rate limit; the figures for the results table."""
    return asyncio.run(_run(postings, years))


async def _run(postings: int, years: int) -> list[Row]:
    faults = ("--rate-limit", str(LIMIT), "--rate-window", str(WINDOW_S))
    async with BenchWorld.start(postings=postings, years=years, faults=faults) as world:
        database_url = await world.fresh_database("ledgersync_bench_limited")
        env = world.env(database_url)
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / "rate-limited-worker.log").open("wb")
        worker = await asyncio.create_subprocess_exec(
            *world.cli,
            "worker",
            "--processes",
            "2",
            "--threads",
            "4",
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            await world.wait_workers_ready(database_url)
            started = time.perf_counter()
            org_id = await world.register(env)
            await world.wait_synced(database_url, org_id, psutil.Process(worker.pid))
            elapsed = time.perf_counter() - started
        finally:
            worker.terminate()
            await worker.wait()
        counters = await _counters(world.base_url.removesuffix("/v2") + "/_sandbox")
    total = int(counters["total"])  # type: ignore[call-overload]
    by_status = counters["by_status"]
    limited = int(by_status.get("429", 0)) if isinstance(by_status, dict) else 0
    usages = counters["rate_limit_usage"]
    assert isinstance(usages, dict)
    usage = max((u for u in usages.values() if u is not None), default=0.0)
    return [
        Measure(
            f"rate-limited import ({LIMIT} req / {WINDOW_S:g} s, 2 processes)", total, elapsed
        ).with_note(f"{usage:.2f} of the requests allowed (goal ≥ 0.9)"),
        f"rate-limited: {limited} of {total} requests answered 429 "
        f"({100 * limited / max(total, 1):.1f} %, goal ≤ 1 %)",
        Value("rate-limit usage", usage),
        Value("429 share", limited / max(total, 1)),
    ]
