"""Many organizations at once: total postings/s with 1, 2 and 4 worker processes, and fairness.

Fifty organizations (the accountant token, one client company each) are registered and validated
first, untimed; then every company is selected at once and the clock runs until the last one is
synced. Fairness is the spread of the organizations' completion times: with a window of chunks
per organization, none should wait for the others to finish.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from dataclasses import dataclass

import aiohttp
import asyncpg
import psutil

from bench.import_speed import LOGS
from bench.world import IMPORT_TIMEOUT_S, BenchWorld, Measure, Row, Value
from shared.crypto import TokenCipher
from shared.db import connect
from shared.models import Method, OrgState, Provider
from shared.orgs import Confirmed, NewOrg, register, select_company
from shared.queue import send, sender
from worker.sync.plan import month_ranges
from worker.tripletex.client import TripletexClient
from worker.tripletex.protocol import fingerprint

#: threads per worker process, as the Procfile runs them
THREADS = 8


@dataclass(frozen=True)
class Round:
    """One run with a number of worker processes."""

    processes: int
    postings: int
    seconds: float
    finished: list[float]

    def measure(self) -> Measure:
        """Total postings/s, with the completion spread as the note."""
        median = statistics.median(self.finished)
        note = (
            f"orgs done after {min(self.finished):.1f} / {median:.1f} / "
            f"{max(self.finished):.1f} s (first / median / last)"
        )
        name = f"{len(self.finished)} orgs at once, {self.processes} worker process(es)"
        return Measure(name, self.postings, self.seconds, note)


async def warm(world: BenchWorld) -> None:
    """Every page and every year's sums rendered once, so the sandbox serves from memory."""
    async with aiohttp.ClientSession() as http:
        client = TripletexClient(http, world.base_url)
        session = await client.create_session(
            world.consumer_token, world.accountant_token, world.expires
        )
        gate = asyncio.Semaphore(8)

        async def one(company_id: int) -> None:
            auth = session.auth(company_id, limit_key=fingerprint(world.accountant_token))
            async with gate:
                for year in world.years:
                    for span in month_ranges(year):
                        async for _ in client.iter_raw_postings(auth, span.start, span.end):
                            pass
                    await client.ledger_sums(auth, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

        await asyncio.gather(*(one(c) for c in world.clients))


async def _onboard(world: BenchWorld, database_url: str, orgs: int) -> list[tuple[int, int]]:
    """Register and validate `orgs` organizations (untimed); (org id, company id) each."""
    assert world.settings.redis_url is not None
    broker = sender(world.settings.redis_url)
    conn = await connect(database_url)
    cipher = TokenCipher(world.secret_key)
    pairs = []
    for company_id in world.clients[:orgs]:
        token = world.accountant_token
        new = NewOrg(f"fair-{company_id}", Method.API, Provider.TRIPLETEX, token=token)
        org_id = await register(conn, new, cipher=cipher)
        send(broker, "validate_token", org_id)
        pairs.append((org_id, company_id))
    await _wait_states(conn, [o for o, _ in pairs], {OrgState.CHOOSE_COMPANY})
    await conn.close()
    broker.close()
    return pairs


async def _wait_states(
    conn: asyncpg.Connection, org_ids: list[int], wanted: set[OrgState]
) -> dict[int, float]:
    """Poll until every organization is in a wanted state; when each first was (monotonic)."""
    seen: dict[int, float] = {}
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    while len(seen) < len(org_ids):
        rows = await conn.fetch(
            "SELECT id, state FROM organizations WHERE id = any($1::bigint[])", org_ids
        )
        now = time.monotonic()
        for row in rows:
            if row["state"] == OrgState.NEEDS_ATTENTION:
                raise RuntimeError(f"organization {row['id']} needs attention")
            if row["state"] in wanted:
                seen.setdefault(row["id"], now)
        if now > deadline:
            raise TimeoutError(f"{len(org_ids) - len(seen)} organizations never got there")
        await asyncio.sleep(0.1)
    return seen


async def one_round(world: BenchWorld, processes: int, orgs: int) -> Round:
    """Fresh database, `processes` workers, `orgs` organizations selected at once."""
    database_url = await world.fresh_database("ledgersync_bench_fair")
    env = world.env(database_url)
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"fairness-{processes}.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        *world.cli,
        "worker",
        "--processes",
        str(processes),
        "--threads",
        str(THREADS),
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        await world.wait_workers_ready(database_url)
        pairs = await _onboard(world, database_url, orgs)
        assert world.settings.redis_url is not None
        broker = sender(world.settings.redis_url)
        conn = await connect(database_url)
        started = time.monotonic()
        for org_id, company_id in pairs:  # what `org select` does, for every org at once
            await select_company(conn, org_id, company_id, Confirmed(allow_duplicate=True))
            send(broker, "plan_sync", org_id)
        done = await _wait_states(conn, [o for o, _ in pairs], {OrgState.SYNCED})
        total = int(await conn.fetchval("SELECT count(*) FROM postings"))
        await conn.close()
        broker.close()
    finally:
        worker.terminate()
        await worker.wait()
    finished = sorted(at - started for at in done.values())
    return Round(processes, total, max(finished), finished)


def run(orgs: int, postings: int, years: int, process_counts: list[int]) -> list[Row]:
    """The whole fairness benchmark; rows for the results table."""
    return asyncio.run(_run(orgs, postings, years, process_counts))


async def _run(orgs: int, postings: int, years: int, process_counts: list[int]) -> list[Row]:
    async with BenchWorld.start(postings=postings, years=years, companies=orgs) as world:
        await warm(world)
        rounds = [await one_round(world, n, orgs) for n in process_counts]
    rows: list[Row] = [r.measure() for r in rounds]
    rows += [
        Value(f"spread {r.processes}", max(r.finished) / statistics.median(r.finished))
        for r in rounds
    ]
    base = rounds[0].postings / rounds[0].seconds
    for r in rounds[1:]:
        rows.append(
            f"{r.processes} processes: {r.postings / r.seconds / base:.2f} × the rate of "
            f"{rounds[0].processes} (the machine has {psutil.cpu_count()} cores, shared with "
            "Postgres and the sandbox)"
        )
    return rows


if __name__ == "__main__":
    for row in run(50, 20_000, 2, [1, 2, 4]):
        print(row)
    sys.exit(0)
