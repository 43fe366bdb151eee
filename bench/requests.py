"""Requests, not CPU, bound a real onboarding: requests made ÷ the minimum, and the time under the
realistic rate limit beside the floor that limit allows.

The minimum, for one company: one request per cap-respecting range — ⌈postings ÷ 10,000⌉ (at
least one) summed over the coarsest ranges of the planner's hierarchy (year → months → halves →
one day → account-number ranges) that hold at most 10,000 postings — plus what any client must
ask besides: a session, who-am-I, the company, its clients, the accounting years, the API's own
balances for each year (the proof: a year without postings still carries balances to prove), and
one page of each register postings point to (issue 20's master data). It is computed from the
postings imported (checked equal to the sandbox's truth first), so it knows what no client can
know in advance.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.import_speed import LOGS
from bench.world import IMPORT_TIMEOUT_S, BenchWorld, Measure, Row, Value
from shared.db import connect
from shared.db.queries import Q
from worker.sync.plan import RESULT_CAP, Density, Scope, split, year_range
from worker.tripletex.protocol import MAX_PAGE
from worker.tripletex.registers import REGISTERS

#: the realistic limit (about 100 requests per period per employee token, per the API notes)
REAL_LIMIT, REAL_WINDOW_S = 100, 60.0
#: requests any client makes besides the postings and the sums: :create, whoAmI, company/{id},
#: company/>withLoginAccess, ledger/annualAccount
DISCOVERY_REQUESTS = 5


def minimum_posting_requests(count: Callable[[Scope], int], scopes: Iterable[Scope]) -> int:
    """One request per page of each coarsest range under the cap (an empty one costs one too)."""
    total = 0
    for scope in scopes:
        held = count(scope)
        children = split(scope) if held > RESULT_CAP else []
        if children:
            total += minimum_posting_requests(count, children)
        else:
            total += max(1, math.ceil(held / MAX_PAGE))
    return total


async def load_density(database_url: str, org_id: int, years: list[int]) -> Density:
    """The imported postings of an organization, counted by day (and by account on busy days)."""
    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            Q["postings_per_day"],
            org_id,
            dt.date(min(years), 1, 1),
            dt.date(max(years) + 1, 1, 1),
            RESULT_CAP,
        )
    finally:
        await conn.close()
    per_day = {r["posting_date"]: r["n"] for r in rows if r["account"] is None}
    per_account: dict[dt.date, dict[int, int]] = defaultdict(dict)
    for r in rows:
        if r["account"] is not None:
            per_account[r["posting_date"]][r["account"]] = r["n"]
    return Density(per_day, dict(per_account))


def minimum(ledger: Density, years: list[int]) -> int:
    """Every request a client needs at the least to import and prove these years, and to read
    the registers once."""
    scopes = [Scope(year_range(year)) for year in years]
    postings = minimum_posting_requests(ledger.count, scopes)
    return DISCOVERY_REQUESTS + postings + len(years) + len(REGISTERS)


def floor_s(requests: int, limit: int = REAL_LIMIT, window_s: float = REAL_WINDOW_S) -> float:
    """The least time a limit of `limit` per `window_s` allows for this many requests."""
    return (math.ceil(requests / limit) - 1) * window_s


async def _control(world: BenchWorld, method: str, path: str) -> Any:
    url = world.base_url.removesuffix("/v2") + "/_sandbox" + path
    async with aiohttp.ClientSession() as http, http.request(method, url) as answer:
        return await answer.json() if answer.status == 200 else None


@dataclass(frozen=True)
class Onboarding:
    """One company's sync: requests made, and when the newest year and all were done."""

    requests: int
    by_endpoint: dict[str, int]
    newest_s: float
    all_s: float
    limited: int


async def _sync(world: BenchWorld, database_url: str, org_id: int | None) -> tuple[int, Onboarding]:
    """Register (or re-sync) the good token's company; its requests and timings."""
    await _control(world, "DELETE", "/counters")
    env = world.env(database_url)
    since = await _db_now(database_url)
    started = time.monotonic()
    if org_id is None:
        org_id = await world.register(env)
    else:
        process = await asyncio.create_subprocess_exec(
            *world.cli,
            "org",
            "sync",
            str(org_id),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
        )
        await process.wait()
    newest = await _wait_years(database_url, org_id, since, newest=True) - started
    elapsed = await _wait_years(database_url, org_id, since, newest=False) - started
    await _wait_registers(database_url, org_id, since)
    counters = await _control(world, "GET", "/counters")
    limited = int(counters["by_status"].get("429", 0))
    done = Onboarding(counters["total"], counters["by_endpoint"], newest, elapsed, limited)
    return org_id, done


async def _db_now(database_url: str) -> dt.datetime:
    conn = await connect(database_url)
    try:
        now: dt.datetime = await conn.fetchval("SELECT now()")
        return now
    finally:
        await conn.close()


#: settled since `$2`: the newest year only, or every year and the organization
SETTLED = """
SELECT coalesce(bool_and(y.state IN ('synced', 'failed') AND y.finished_at > $2), false)
       AND ($3 OR (SELECT state = 'synced' FROM organizations WHERE id = $1))
FROM sync_years AS y
WHERE y.org_id = $1
  AND (NOT $3 OR y.year = (SELECT max(year) FROM sync_years WHERE org_id = $1))
"""


async def _wait_years(database_url: str, org_id: int, since: dt.datetime, *, newest: bool) -> float:
    """When (monotonic) the newest year, or every year, settled after `since` (polled)."""
    conn = await connect(database_url)
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    try:
        while not await conn.fetchval(SETTLED, org_id, since, newest):
            if time.monotonic() > deadline:
                raise TimeoutError(f"organization {org_id} did not settle")
            await asyncio.sleep(0.1)
        return time.monotonic()
    finally:
        await conn.close()


#: every register refreshed since `$2` (the refresh runs beside the chunks, once a sync)
REFRESHED = "SELECT count(*) FROM register_refreshes WHERE org_id = $1 AND refreshed_at > $2"


async def _wait_registers(database_url: str, org_id: int, since: dt.datetime) -> None:
    """Until the sync's register refresh is recorded, so its requests are counted."""
    conn = await connect(database_url)
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    try:
        while await conn.fetchval(REFRESHED, org_id, since) < len(REGISTERS):
            if time.monotonic() > deadline:
                raise TimeoutError(f"organization {org_id}'s registers were not refreshed")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


def run(postings: int, years: int, big_day: int, limited: bool = True) -> list[Row]:
    """Request efficiency of a first sync and a re-sync, unthrottled; then under the real limit."""
    return asyncio.run(_run(postings, years, big_day, limited))


async def _run(postings: int, years: int, big_day: int, limited: bool) -> list[Row]:
    rows: list[Row] = []
    async with BenchWorld.start(postings=postings, years=years, big_day=big_day) as world:
        rows += await _efficiency(world)
    if limited:
        faults = ("--rate-limit", str(REAL_LIMIT), "--rate-window", str(REAL_WINDOW_S))
        async with BenchWorld.start(
            postings=postings, years=years, big_day=big_day, faults=faults
        ) as world:
            rows += await _under_the_limit(world)
    return rows


async def _with_worker(
    world: BenchWorld, database_url: str, name: str
) -> asyncio.subprocess.Process:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}-worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        *world.cli,
        "worker",
        "--processes",
        "1",
        "--threads",
        "8",
        env=world.env(database_url),
        stdout=log,
        stderr=log,
    )
    await world.wait_workers_ready(database_url)
    return worker


async def _efficiency(world: BenchWorld) -> list[Row]:
    database_url = await world.fresh_database("ledgersync_bench_requests")
    worker = await _with_worker(world, database_url, "requests")
    try:
        org_id, first = await _sync(world, database_url, None)
        _, again = await _sync(world, database_url, org_id)
    finally:
        worker.terminate()
        await worker.wait()
    planned = list(range(min(world.years), dt.date.today().year + 1))
    ledger = await load_density(database_url, org_id, planned)
    least = minimum(ledger, planned)
    held = sum(ledger.per_day.values())
    return [
        Measure(f"requests, first sync ({held:,} postings)", first.requests, first.all_s).with_note(
            f"minimum {least}: ratio {first.requests / least:.2f} (goal ≤ 1.15); "
            f"posting pages {first.by_endpoint.get('GET /v2/ledger/posting', 0)}"
        ),
        Measure("requests, re-sync of every year", again.requests, again.all_s).with_note(
            f"ratio {again.requests / least:.2f} (goal ≤ 1.15)"
        ),
        Value("request ratio first", first.requests / least),
        Value("request ratio resync", again.requests / least),
        Value("request minimum", least),
    ]


async def _under_the_limit(world: BenchWorld) -> list[Row]:
    database_url = await world.fresh_database("ledgersync_bench_realistic")
    worker = await _with_worker(world, database_url, "realistic")
    try:
        org_id, done = await _sync(world, database_url, None)
    finally:
        worker.terminate()
        await worker.wait()
    planned = list(range(min(world.years), dt.date.today().year + 1))
    floor = floor_s(minimum(await load_density(database_url, org_id, planned), planned))
    return [
        Measure(
            f"onboarding under {REAL_LIMIT} requests / {REAL_WINDOW_S:g} s",
            done.requests,
            done.all_s,
        ).with_note(
            f"newest year done after {done.newest_s:.0f} s, all after {done.all_s:.0f} s; the "
            f"limit allows {floor:.0f} s at the least; {done.limited} answered 429"
        ),
        Value("realistic all s", done.all_s),
        Value("realistic newest s", done.newest_s),
        Value("realistic floor s", floor),
        Value("realistic 429", done.limited),
    ]


if __name__ == "__main__":
    for row in run(1_000_000, 10, 12_000):
        print(row)
