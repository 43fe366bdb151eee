"""Issue 21: how fresh a synced organization stays, and what staying fresh costs.

- **Freshness lag**: from a change made in the sandbox (a posting's amount changed, or a voucher
  added) to the changed postings in Postgres — with webhooks (the receiver running, Tripletex's
  deliveries applied) and with checksum polls alone (the scheduler polling every
  `POLL_INTERVAL_S`): p50 and p95.
- **Cost of an idle organization**: requests per hour with nothing changing, for `years` of
  history — one poll round of the recent ranges, one nightly pass and one subscription check,
  each counted by the sandbox, scaled to an hour at the scheduler's defaults — against what the
  hourly full re-fetch of the current and previous year (the scheduler before issue 21) costs.

Run alone: `python -m bench.freshness [--postings N] [--years N] [--changes N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from bench.import_speed import LOGS
from bench.world import IMPORT_TIMEOUT_S, BenchWorld, Measure, Row, Value
from shared.db import connect
from shared.embedded import free_port
from shared.queue import send, sender

#: the scheduler's defaults (worker/sync/scheduler.py) the hourly figures are scaled by
POLL_INTERVAL_S, WEBHOOK_POLL_INTERVAL_S, CARE_INTERVAL_S, NIGHTLY_S = 900, 10_800, 3600, 86_400
#: the poll interval of the polling-lag run (short, so the run is short; the lag is about one)
LAG_POLL_INTERVAL_S = 20.0


@dataclass(frozen=True)
class FreshSize:
    """How big the run is: the company's history, the changes timed, the polling-lag interval."""

    postings: int = 1_000_000
    #: years of history, up to this one (the bench scenario starts in 2016)
    years: int = 11
    changes: int = 20
    poll_interval_s: float = LAG_POLL_INTERVAL_S
    #: the sandbox's latency mode (e.g. "150-600" ms a full page), None: instant
    latency: str | None = None


#: the accounts the added vouchers book on (in every sandbox chart)
BANK, SALES = 1920, 3000
#: goals of issue 21
LAG_GOAL_S, COST_GOAL = 10.0, 20.0


async def _control(world: BenchWorld, method: str, path: str, body: Any = None) -> Any:
    url = world.base_url.removesuffix("/v2") + "/_sandbox" + path
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body) as answer:
        answer.raise_for_status()
        return await answer.json() if answer.status != 204 else None


async def _requests(world: BenchWorld) -> int:
    counted = await _control(world, "GET", "/counters")
    return int(counted["total"])


@asynccontextmanager
async def _processes(
    world: BenchWorld, env: dict[str, str], name: str, *commands: list[str]
) -> AsyncIterator[None]:
    """The ledgersync processes given, logged under bench/logs, stopped on the way out."""
    LOGS.mkdir(parents=True, exist_ok=True)
    started = []
    try:
        for command in commands:
            log = (LOGS / f"freshness-{name}-{command[0]}.log").open("wb")
            started.append(
                await asyncio.create_subprocess_exec(
                    *world.cli, *command, env=env, stdout=log, stderr=log
                )
            )
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            await process.wait()


async def _until(
    check: Callable[[], Awaitable[Any]], within: float = IMPORT_TIMEOUT_S, every: float = 0.05
) -> Any:
    """Poll `check` until it answers something true; that answer."""
    deadline = time.monotonic() + within
    while not (found := await check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{check.__qualname__} never held within {within:.0f} s")
        await asyncio.sleep(every)
    return found


async def _synced(conn: asyncpg.Connection, org_id: int) -> bool:
    return bool(
        await conn.fetchval("SELECT state = 'synced' FROM organizations WHERE id = $1", org_id)
    )


# --- the lag ---------------------------------------------------------------------------------


async def _change_amount(
    world: BenchWorld, conn: asyncpg.Connection, company: int, org_id: int, since: dt.date
) -> Callable[[], Awaitable[bool]]:
    """Move 1.00 between a debit and a credit of one stored voucher at the source (it still
    balances, as Tripletex demands); the check that Postgres holds both new amounts."""
    row = await conn.fetchrow(
        "SELECT (array_agg(posting_id ORDER BY amount DESC))[1] AS debit,"
        " (array_agg(posting_id ORDER BY amount))[1] AS credit,"
        " max(amount) AS high, min(amount) AS low"
        " FROM postings WHERE org_id = $1 AND posting_date >= $2"
        " GROUP BY voucher_id HAVING max(amount) > 0 AND min(amount) < 0"
        " ORDER BY random() LIMIT 1",
        org_id,
        since,
    )
    high, low = row["high"] + 1, row["low"] - 1
    for posting, amount in ((row["debit"], high), (row["credit"], low)):
        path = f"/companies/{company}/postings/{posting}"
        await _control(world, "PATCH", path, {"amount": str(amount)})
    query = (
        "SELECT count(*) = 2 FROM postings WHERE org_id = $1"
        " AND ((posting_id = $2 AND amount = $3) OR (posting_id = $4 AND amount = $5))"
    )
    return lambda: conn.fetchval(query, org_id, row["debit"], high, row["credit"], low)


async def _add_voucher(
    world: BenchWorld, conn: asyncpg.Connection, company: int, org_id: int, since: dt.date
) -> Callable[[], Awaitable[bool]]:
    """Book a new voucher at the source; the check that Postgres holds its postings."""
    day = since + dt.timedelta(days=3)
    lines = [
        {"accountNumber": BANK, "amount": "125.00"},
        {"accountNumber": SALES, "amount": "-125.00"},
    ]
    added = await _control(
        world,
        "POST",
        f"/companies/{company}/postings",
        {"date": day.isoformat(), "postings": lines},
    )
    ids = [int(i) for i in added["postings"]]
    query = "SELECT count(*) = $3 FROM postings WHERE org_id = $1 AND posting_id = ANY($2)"
    return lambda: conn.fetchval(query, org_id, ids, len(ids))


CHANGES = (_change_amount, _add_voucher)


async def _lags(
    world: BenchWorld, database_url: str, org_id: int, changes: int, within: float
) -> list[float]:
    """Seconds from each change at the source to Postgres holding it, one change at a time."""
    company = world.company_id
    since = dt.date(dt.date.today().year, dt.date.today().month, 1) - dt.timedelta(days=20)
    conn = await connect(database_url)
    lags = []
    try:
        for n in range(changes):
            started = time.monotonic()
            landed = await CHANGES[n % len(CHANGES)](world, conn, company, org_id, since)
            await _until(landed, within)
            lags.append(time.monotonic() - started)
    finally:
        await conn.close()
    return lags


def _percentiles(lags: list[float]) -> tuple[float, float]:
    ordered = sorted(lags)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


# --- the cost ---------------------------------------------------------------------------------


async def _counted(
    world: BenchWorld,
    database_url: str,
    act: Callable[[], object],
    done: str,
    *args: object,
) -> int:
    """Requests made between `act` and the query `done` (with $1 org, $2 since, more) holding."""
    conn = await connect(database_url)
    try:
        since = await conn.fetchval("SELECT now()")
        before = await _requests(world)
        result = act()
        if asyncio.iscoroutine(result):
            await result
        await _until(lambda: conn.fetchval(done, args[0], since, *args[1:]), every=0.1)
        await asyncio.sleep(0.5)  # anything sent after the mark (none expected) is counted too
        return await _requests(world) - before
    finally:
        await conn.close()


def _org_sync(
    world: BenchWorld, database_url: str, org_id: int, year: int
) -> Callable[[], Awaitable[None]]:
    """`ledgersync org sync ORG --year Y`: a year fetched again in full, as the old hourly
    re-sync fetched the current and the previous year."""

    async def run() -> None:
        process = await asyncio.create_subprocess_exec(
            *world.cli,
            "org",
            "sync",
            str(org_id),
            "--year",
            str(year),
            env=world.env(database_url),
            stdout=asyncio.subprocess.DEVNULL,
        )
        await process.wait()

    return run


POLLED = "SELECT recent_checked_at > $2 FROM freshness WHERE org_id = $1"
NIGHTLY = "SELECT nightly_done_at > $2 FROM freshness WHERE org_id = $1"
CARED = (
    "SELECT bool_and(checked_at > $2) FROM webhook_subscriptions"
    " WHERE org_id = $1 AND status = 'active'"
)
REFETCHED = """
SELECT state = 'synced' AND finished_at > $2 FROM sync_years WHERE org_id = $1 AND year = $3
"""


async def _costs(world: BenchWorld, database_url: str, org_id: int) -> dict[str, int]:
    """One of each: a recent poll round, a nightly pass, a subscription check, the old re-fetch."""
    assert world.settings.redis_url is not None
    broker = sender(world.settings.redis_url)
    this_year = dt.date.today().year
    try:
        found = {
            "poll": await _counted(
                world, database_url, lambda: send(broker, "poll_org", org_id, False), POLLED, org_id
            ),
            "nightly": await _counted(
                world, database_url, lambda: send(broker, "poll_org", org_id, True), NIGHTLY, org_id
            ),
            "care": await _counted(
                world, database_url, lambda: send(broker, "care_webhooks", org_id), CARED, org_id
            ),
        }

        found["refetch"] = 0
        for year in (this_year, this_year - 1):  # what the scheduler did every hour before
            found["refetch"] += await _counted(
                world,
                database_url,
                _org_sync(world, database_url, org_id, year),
                REFETCHED,
                org_id,
                year,
            )
    finally:
        broker.close()
    return found


# --- the runs ---------------------------------------------------------------------------------


async def _onboard(world: BenchWorld, database_url: str, env: dict[str, str]) -> int:
    org_id = await world.register(env)
    conn = await connect(database_url)
    try:
        await _until(lambda: _synced(conn, org_id), every=0.2)
    finally:
        await conn.close()
    return org_id


async def _with_webhooks(world: BenchWorld, changes: int) -> tuple[list[float], dict[str, int]]:
    database_url = await world.fresh_database("ledgersync_bench_fresh_hooks")
    port = free_port()
    env = world.env(database_url) | {"LEDGERSYNC_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    worker = ["worker", "--processes", "1", "--threads", "8"]
    web = ["web", "--host", "127.0.0.1", "--port", str(port)]
    async with _processes(world, env, "hooks", worker, web):
        await world.wait_workers_ready(database_url)
        org_id = await _onboard(world, database_url, env)
        conn = await connect(database_url)
        try:
            active = (
                "SELECT count(*) = 3 FROM webhook_subscriptions"
                " WHERE org_id = $1 AND status = 'active' AND event LIKE 'voucher.%'"
            )
            await _until(lambda: conn.fetchval(active, org_id), within=120)
        finally:
            await conn.close()
        lags = await _lags(world, database_url, org_id, changes, within=120)
        costs = await _costs(world, database_url, org_id)
    return lags, costs


async def _with_polls(world: BenchWorld, changes: int, interval: float) -> list[float]:
    database_url = await world.fresh_database("ledgersync_bench_fresh_polls")
    env = world.env(database_url)
    worker = ["worker", "--processes", "1", "--threads", "8"]
    scheduler = ["scheduler", "--tick", "0.5", "--poll-interval", str(interval)]
    async with _processes(world, env, "polls", worker, scheduler):
        await world.wait_workers_ready(database_url)
        org_id = await _onboard(world, database_url, env)
        return await _lags(world, database_url, org_id, changes, within=interval * 3 + 120)


def _rows(
    size: FreshSize, hooked: list[float], polled: list[float], costs: dict[str, int]
) -> list[Row]:
    hook_p50, hook_p95 = _percentiles(hooked)
    poll_p50, poll_p95 = _percentiles(polled)
    per_day = costs["nightly"] * 3600 / NIGHTLY_S
    with_hooks = (
        costs["poll"] * 3600 / WEBHOOK_POLL_INTERVAL_S
        + costs["care"] * 3600 / CARE_INTERVAL_S
        + per_day
    )
    polling = costs["poll"] * 3600 / POLL_INTERVAL_S + per_day  # no subscriptions to care for
    today = float(costs["refetch"])
    return [
        Measure("freshness lag with webhooks, p50", len(hooked), hook_p50).with_note(
            f"seconds from a change in the sandbox to Postgres; p95 {hook_p95:.2f} s "
            f"(goal p95 < {LAG_GOAL_S:g} s)"
        ),
        Measure("freshness lag with checksum polls, p50", len(polled), poll_p50).with_note(
            f"polled every {size.poll_interval_s:g} s for this run; p95 {poll_p95:.2f} s"
        ),
        f"Idle cost, {size.postings:,} postings over {size.years} years, requests: one recent "
        f"poll round {costs['poll']}, one nightly pass {costs['nightly']}, one subscription "
        f"check {costs['care']}; the hourly full re-fetch of the current and previous year "
        f"(before issue 21) {costs['refetch']}.",
        f"Per hour: webhooks + checksum polls {with_hooks:.2f}, checksum polls alone (every "
        f"{POLL_INTERVAL_S // 60} min) {polling:.2f}, the old re-fetch {today:.0f}: "
        f"{today / with_hooks:.0f}× fewer with webhooks, {today / polling:.0f}× with polls alone "
        f"(goal ≥ {COST_GOAL:g}×).",
        Value("freshness lag webhooks p50 s", hook_p50),
        Value("freshness lag webhooks p95 s", hook_p95),
        Value("freshness lag polls p95 s", poll_p95),
        Value("freshness poll interval s", size.poll_interval_s),
        Value("idle requests per hour webhooks", with_hooks),
        Value("idle requests per hour polls", polling),
        Value("idle requests per hour refetch", today),
    ]


def run(size: FreshSize) -> list[Row]:
    """Both lags and the idle cost."""
    return asyncio.run(_run(size))


async def _run(size: FreshSize) -> list[Row]:
    latency = ("--latency", size.latency) if size.latency else ()
    faults = ("--rate-limit", "1000000000", *latency)
    async with BenchWorld.start(postings=size.postings, years=size.years, faults=faults) as world:
        hooked, costs = await _with_webhooks(world, size.changes)
        polled = await _with_polls(world, max(4, size.changes // 4), size.poll_interval_s)
    return _rows(size, hooked, polled, costs)


def main() -> None:
    """Run alone and print the rows."""
    parser = argparse.ArgumentParser(prog="python -m bench.freshness", description=__doc__)
    parser.add_argument("--postings", type=int, default=FreshSize.postings)
    parser.add_argument("--years", type=int, default=FreshSize.years)
    parser.add_argument("--changes", type=int, default=FreshSize.changes)
    parser.add_argument("--poll-interval", type=float, default=FreshSize.poll_interval_s)
    parser.add_argument("--latency", default=None, help="the sandbox's latency mode, e.g. 150-600")
    args = parser.parse_args()
    from bench.__main__ import table

    size = FreshSize(args.postings, args.years, args.changes, args.poll_interval, args.latency)
    print(table(run(size)))


if __name__ == "__main__":
    main()
