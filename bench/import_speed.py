"""Import speed: one company end to end, beside its ceilings measured in the same run.

- fetch + decode only: every page of every chunk, fetched with the workers' concurrency;
- COPY + merge only: the same raw pages written through the importer's chunk write;
- end to end: `ledgersync worker` importing the company from the sandbox;
- naive baseline: one INSERT per row, on a sample.
The sandbox runs in its own process with no rate limit, so it is not what limits the figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import psutil

from bench.world import BenchWorld, Measure, Row, Value
from shared.db import connect
from shared.db.queries import Q
from worker.sync.plan import Scope, split, year_range
from worker.sync.store import LeasedChunk, insert_chunk, write_chunk
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import ResultSetTooLarge
from worker.tripletex.protocol import fingerprint

#: requests in flight for the fetch ceiling (the worker's thread count)
CONCURRENCY = 8
#: where the benchmark's worker logs go
LOGS = Path(__file__).resolve().parent / "out"
#: rows in the naive baseline's sample
NAIVE_SAMPLE = 5_000


@dataclass
class Chunk:
    """A range of postings and its raw pages."""

    scope: Scope
    pages: list[bytes]
    count: int


async def fetch_ceiling(
    world: BenchWorld, years: list[int], name: str = "fetch + decode only (ceiling)"
) -> tuple[Measure, list[Chunk]]:
    """Every range's pages fetched and decoded, CONCURRENCY at a time, split as the importer
    splits a range over the API's cap."""
    scopes = [Scope(year_range(y)) for y in years]
    async with aiohttp.ClientSession() as http:
        client = TripletexClient(http, world.base_url)
        session = await client.create_session(world.consumer_token, world.token, world.expires)
        auth = session.auth(limit_key=fingerprint(world.token))
        gate = asyncio.Semaphore(CONCURRENCY)

        async def fetch(scope: Scope) -> list[Chunk]:
            span = scope.span
            try:
                async with gate:
                    pages = [
                        p
                        async for p in client.iter_raw_postings(
                            auth, span.start, span.end, accounts=scope.accounts
                        )
                    ]
            except ResultSetTooLarge:  # as the importer does: split and fetch again
                parts = await asyncio.gather(*(fetch(part) for part in split(scope)))
                return [chunk for part in parts for chunk in part]
            for page in pages:  # decoded too, though the importer leaves that to Postgres
                orjson.loads(page.raw)
            return [Chunk(scope, [p.raw for p in pages], sum(p.count for p in pages))]

        started = time.perf_counter()
        fetched = await asyncio.gather(*(fetch(scope) for scope in scopes))
        chunks = [chunk for part in fetched for chunk in part]
        elapsed = time.perf_counter() - started
        for year in years:  # the sums reconciliation asks for, computed once by the sandbox
            await client.ledger_sums(auth, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    total = sum(c.count for c in chunks)
    return Measure(name, total, elapsed), list(chunks)


async def write_ceiling(database_url: str, chunks: list[Chunk]) -> Measure:
    """The same pages written through the chunk write (COPY into staging + merge)."""
    conn = await connect(database_url)
    org_id = await conn.fetchval(
        Q["org_insert"], f"bench-{uuid.uuid4()}", "api", "tripletex", "syncing"
    )
    ids = [await insert_chunk(conn, org_id, c.scope.span.year, c.scope, c.count) for c in chunks]
    await conn.close()
    pool = await asyncpg.create_pool(database_url, min_size=CONCURRENCY, max_size=CONCURRENCY)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def write(chunk_id: int, chunk: Chunk) -> int:
        async with gate, pool.acquire() as db:
            owner = uuid.uuid4()
            await db.fetchrow(Q["chunk_claim"], chunk_id, owner, 600.0, None, None)
            leased = LeasedChunk(chunk_id, owner, org_id, chunk.scope.span.year, chunk.scope)
            done = await write_chunk(db, leased, chunk.pages)
            return done.total

    started = time.perf_counter()
    written = await asyncio.gather(*(write(i, c) for i, c in zip(ids, chunks, strict=True)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return Measure("COPY + merge only (ceiling)", sum(written), elapsed)


async def naive_baseline(database_url: str, chunks: list[Chunk]) -> Measure:
    """One INSERT per row, on a sample: what the staged COPY saves."""
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks:
        for page in chunk.pages:
            for p in orjson.loads(page)["values"]:
                rows.append((p["id"], p["date"], str(p["amount"]), str(p["account"]["number"])))
                if len(rows) >= NAIVE_SAMPLE:
                    break
    conn = await connect(database_url)
    org_id = await conn.fetchval(
        Q["org_insert"], f"naive-{uuid.uuid4()}", "api", "tripletex", "syncing"
    )
    started = time.perf_counter()
    for posting_id, day, amount, account in rows:
        await conn.execute(
            "INSERT INTO postings (org_id, posting_id, posting_date, amount, account_number)"
            " VALUES ($1, $2, $3::text::date, $4::numeric, $5)"
            " ON CONFLICT (org_id, posting_id) DO NOTHING",
            org_id,
            posting_id,
            day,
            amount,
            account,
        )
    elapsed = time.perf_counter() - started
    await conn.close()
    return Measure("naive: one INSERT per row (baseline)", len(rows), elapsed)


async def end_to_end(world: BenchWorld, database_url: str, threads: int) -> tuple[Measure, float]:
    """`ledgersync worker` importing the company; (measure, worker peak RSS in MB)."""
    env = world.env(database_url)
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / "import-worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from cli.main import main; main()",
        "worker",
        "--processes",
        "1",
        "--threads",
        str(threads),
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        await world.wait_workers_ready(database_url)
        started = time.perf_counter()
        org_id = await world.register(env)
        peak = await world.wait_synced(database_url, org_id, psutil.Process(worker.pid))
        elapsed = time.perf_counter() - started
        conn = await connect(database_url)
        total = await conn.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id)
        await conn.close()
    finally:
        worker.terminate()
        await worker.wait()
    return Measure("end to end (ledgersync worker, 1 process)", total, elapsed), peak


def run(postings: int, years: int, threads: int = CONCURRENCY) -> list[Row]:
    """The whole import benchmark; rows for the results table."""
    return asyncio.run(_run(postings, years, threads))


async def _run(postings: int, years: int, threads: int) -> list[Row]:
    async with BenchWorld.start(postings=postings, years=years) as world:
        database_url = await world.fresh_database("ledgersync_bench")
        # the first pass renders every page in the sandbox (and keeps it); the second is the
        # ceiling the importer meets, with the sandbox serving from memory as a fast API would
        rendering, _ = await fetch_ceiling(world, world.years, "fetch while the sandbox renders")
        fetched, chunks = await fetch_ceiling(world, world.years)
        written = await write_ceiling(database_url, chunks)
        naive = await naive_baseline(database_url, chunks)
        database_url = await world.fresh_database("ledgersync_bench")
        e2e, peak_mb = await end_to_end(world, database_url, threads)
    ratio = e2e.rate / written.rate if written.rate else 0.0
    return [
        e2e.with_note(f"{ratio:.2f} × the COPY + merge ceiling (goal ≥ 0.65)"),
        fetched,
        rendering,
        written,
        naive.with_note(f"COPY + merge is {written.rate / naive.rate:.0f}× faster"),
        f"worker peak RSS: {peak_mb:.0f} MB (goal < 250 MB); pid {os.getpid()} ran the ceilings",
        Value("worker peak RSS", peak_mb),
    ]
