"""ledgersync beside a peer: a plain dlt pipeline importing the same company from the same sandbox.

Both import one company of the bench scenario into the same Postgres, in the same run:
- ledgersync end to end (`org add` → synced: validation, plan, chunks, reconciliation) with 1 and
  2 worker processes (`ledgersync worker --processes N --threads 8`);
- dlt (what a user would write: a `@dlt.resource` paging `/ledger/posting` 10,000 a page by
  `from`/`count` per year, split into months and halves when the API refuses a range as over
  10,000, amounts parsed as Decimal, `merge` on `id` into a schema of its own), from logging in
  to loaded, in a process of its own.
Once with the sandbox instant (every page cached and warmed for both clients first), once in
latency mode (each page in a jittered time, rendered on demand), as a real API answers. dlt is
a bench-only dependency (the `bench` extra); without it, its rows are skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
import psutil
import redis

from bench.import_speed import LOGS, fetch_ceiling
from bench.world import BenchWorld, Measure, Row, Value
from shared.db import connect, drop_database
from shared.queue import QUEUES

#: the latency mode measured beside the instant sandbox (a full page in 150-600 ms)
LATENCY = "150-600"
#: threads per ledgersync worker process, as the Procfile runs them
THREADS = 8
#: the schema dlt loads into, in ledgersync's database
DATASET = "tripletex_dlt"
#: the useful posting fields (the API notes, section 6.1)
FIELDS = (
    "id,version,date,description,row,amount,amountCurrency,amountGross,amountGrossCurrency,"
    "currency(code),account(id,number,name),voucher(id,number,year,date)"
)
#: Tripletex's largest page, and the most a query may hold
PAGE = 10_000
#: column hints: exact amounts as ledgersync stores them (numeric(18, 2)), dates as dates
COLUMNS: dict[str, dict[str, Any]] = {
    **{
        name: {"data_type": "decimal", "precision": 18, "scale": 2}
        for name in ("amount", "amountCurrency", "amountGross", "amountGrossCurrency")
    },
    "date": {"data_type": "date"},
    "voucher__date": {"data_type": "date"},
}
#: dlt's settings for the peer's process: no telemetry (no network here), warnings only
QUIET_DLT = {"RUNTIME__DLTHUB_TELEMETRY": "false", "RUNTIME__LOG_LEVEL": "WARNING"}
#: what the summary says when the peer is missing
NOT_INSTALLED = (
    "dlt is not installed (pip install -c constraints.txt -e '.[bench]'): the dlt rows are skipped"
)


@dataclass(frozen=True)
class Mode:
    """How the sandbox answers during a round: instant (cached) or in latency mode."""

    slug: str
    label: str
    latency: str | None


@dataclass(frozen=True, slots=True)
class Contest:
    """What each round compares: ledgersync at each process count and dlt, in one database."""

    database: str
    processes: tuple[int, ...]
    #: dlt's version, or None when it is not installed (its row is then skipped)
    version: str | None
    #: the postings the sandbox holds, which every contestant should import
    expected: int


def dlt_version() -> str | None:
    """dlt's version, or None when it is not installed."""
    try:
        import dlt
    except ImportError:
        return None
    return str(dlt.__version__)


# -- the peer: what a dlt user writes (runs in a process of its own) --------------------------


def _narrower(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """A range the API refused as over 10,000: a year in months, anything else in halves."""
    if (start.month, start.day) == (1, 1) and end == dt.date(start.year + 1, 1, 1):
        firsts = [dt.date(start.year, m, 1) for m in range(1, 13)] + [end]
        return list(itertools.pairwise(firsts))
    if (end - start).days < 2:
        raise RuntimeError(f"{start} alone holds more than 10,000 postings")
    middle = start + (end - start) // 2
    return [(start, middle), (middle, end)]


def postings_resource(base_url: str, auth: tuple[str, str], years: list[int]) -> Any:
    """The dlt resource: every posting of the years, page by page."""
    import dlt
    from dlt.sources.helpers import requests

    @dlt.resource(name="postings", write_disposition="merge", primary_key="id", columns=COLUMNS)
    def postings() -> Iterator[list[dict[str, Any]]]:
        ranges = [(dt.date(y, 1, 1), dt.date(y + 1, 1, 1)) for y in years]
        while ranges:
            start, end = ranges.pop()
            offset = 0
            while True:
                params: dict[str, str | int] = {
                    "dateFrom": start.isoformat(),
                    "dateTo": end.isoformat(),
                    "from": offset,
                    "count": PAGE,
                    "sorting": "id",
                    "fields": FIELDS,
                }
                try:
                    answer = requests.get(f"{base_url}/ledger/posting", params=params, auth=auth)
                except requests.HTTPError as error:
                    if error.response is None or error.response.status_code != 422:
                        raise
                    ranges += _narrower(start, end)  # "more than 10,000": ask in smaller ranges
                    break
                values = json.loads(answer.content, parse_float=Decimal)["values"]
                yield values
                if len(values) < PAGE:
                    break
                offset += len(values)

    return postings


def _login(base_url: str, consumer_token: str, employee_token: str) -> tuple[str, str]:
    """A session token (POST /token/session/:create), as Basic auth for the token's company."""
    from dlt.sources.helpers import requests

    tomorrow = dt.date.today() + dt.timedelta(days=2)
    body = {
        "consumerToken": consumer_token,
        "employeeToken": employee_token,
        "expirationDate": tomorrow.isoformat(),
    }
    answer = requests.post(f"{base_url}/token/session/:create", json=body)
    return "0", str(answer.json()["value"]["token"])


def _years(base_url: str, auth: tuple[str, str]) -> list[int]:
    """The company's accounting years (`ledger/annualAccount`) and this one."""
    from dlt.sources.helpers import requests

    this_year = dt.date.today().year
    params: dict[str, str | int] = {
        "yearFrom": 2000,
        "yearTo": this_year + 1,
        "count": 1000,
        "fields": "year",
    }
    answer = requests.get(f"{base_url}/ledger/annualAccount", params=params, auth=auth)
    return sorted({int(v["year"]) for v in answer.json()["values"]} | {this_year})


def _with_password(url: str) -> str:
    """The URL with a password (dlt insists on one; a trusting local server ignores it)."""
    parts = urlsplit(url)
    if parts.password is not None or parts.username is None:
        return url
    return parts._replace(netloc=parts.netloc.replace("@", ":unused@", 1)).geturl()


def pipeline_main(config: dict[str, Any]) -> dict[str, Any]:
    """Run the dlt pipeline (or only its extraction); what it did, and the seconds it took."""
    import dlt

    started = time.perf_counter()
    auth = _login(config["base_url"], config["consumer_token"], config["employee_token"])
    resource = postings_resource(config["base_url"], auth, _years(config["base_url"], auth))
    if config.get("extract_only"):
        count = sum(len(page) for page in resource)
        return {"postings": count, "seconds": time.perf_counter() - started}
    with tempfile.TemporaryDirectory() as home:
        pipeline = dlt.pipeline(
            pipeline_name="tripletex_peer",
            pipelines_dir=home,
            dataset_name=DATASET,
            destination=dlt.destinations.postgres(
                credentials=_with_password(config["database_url"])
            ),
        )
        pipeline.run(resource)
    return {"postings": None, "seconds": time.perf_counter() - started}


# -- the benchmark -----------------------------------------------------------------------------


async def _set_latency(world: BenchWorld, latency: str | None) -> None:
    """Switch the sandbox's latency mode (None: instant, pages cached)."""
    url = world.base_url.removesuffix("/v2") + "/_sandbox/faults"
    async with (
        aiohttp.ClientSession() as http,
        http.patch(url, json={"page_latency_ms": latency}) as answer,
    ):
        answer.raise_for_status()


async def _truth(world: BenchWorld) -> int:
    """How many postings the good token's company holds, as the sandbox says."""
    url = world.base_url.removesuffix("/v2") + "/_sandbox/truth"
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        truth = await answer.json()
    company = next(c for c in truth["companies"] if "good" in c["reached_by"])
    return sum(int(y["count"]) for y in company["years"].values())


async def ledgersync(world: BenchWorld, database_url: str, processes: int, mode: Mode) -> Measure:
    """`ledgersync worker --processes N` importing the company, org add to synced."""
    env = world.env(database_url)
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"peer-{mode.slug}-{processes}.log").open("wb")
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
        conn = await connect(database_url)
        since = await conn.fetchval("SELECT now()")
        started = time.perf_counter()
        org_id = await world.register(env)
        await world.wait_synced(database_url, org_id, psutil.Process(worker.pid))
        elapsed = time.perf_counter() - started
        total = await conn.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id)
        idle = await conn.fetchval(LONGEST_IDLE, org_id, since)
        await conn.close()
        dead = _dead_letters(world)
    finally:
        worker.terminate()
        await worker.wait()
    name = f"ledgersync end to end, sandbox {mode.label}, {processes} process(es)"
    stalled = "a stall over 10 s" if idle > STALL_S else "no stall over 10 s"
    return Measure(name, int(total), elapsed).with_note(
        f"longest time with no chunk running {idle:.1f} s ({stalled}); {dead} dead letter(s)"
    )


#: the longest stretch of a sync, from `$2` to the organization's last change, with no chunk of
#: it running (planning, validation and lost follow-ups show here; goal: never over 10 s)
LONGEST_IDLE = """
WITH busy AS (
    SELECT coalesce(range_agg(tstzrange(started_at, finished_at)), '{}'::tstzmultirange) AS r
    FROM chunks WHERE org_id = $1 AND started_at IS NOT NULL AND finished_at IS NOT NULL
), whole AS (
    SELECT tstzmultirange(tstzrange($2, updated_at)) AS r FROM organizations WHERE id = $1
)
SELECT coalesce(max(extract(epoch FROM upper(gap) - lower(gap))), 0)::float8
FROM whole, busy, unnest(whole.r - busy.r) AS gap
"""
#: a sync idle this long is a stall
STALL_S = 10.0


def _dead_letters(world: BenchWorld) -> int:
    """Messages in Dramatiq's dead-letter queues."""
    assert world.settings.redis_url is not None
    client = redis.Redis.from_url(world.settings.redis_url)
    try:
        return sum(int(client.zcard(f"dramatiq:{queue}.XQ")) for queue in QUEUES)
    finally:
        client.close()


async def dlt_peer(
    world: BenchWorld, database_url: str, mode: Mode, *, extract_only: bool = False
) -> Measure:
    """The dlt pipeline in a process of its own, timed inside it (dlt's import left out)."""
    config = {
        "base_url": world.base_url,
        "consumer_token": world.consumer_token,
        "employee_token": world.token,
        "database_url": database_url,
        "extract_only": extract_only,
    }
    conn = await connect(database_url)
    for schema in (DATASET, f"{DATASET}_staging"):
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.close()
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"peer-dlt-{mode.slug}.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.dlt_peer",
            "--pipeline",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, **QUIET_DLT},
        )
        out, _ = await process.communicate(orjson.dumps(config))
    if process.returncode:
        raise RuntimeError(f"the dlt pipeline failed (see {log.name})")
    done = orjson.loads(out.splitlines()[-1])
    count = done["postings"]
    if count is None:
        conn = await connect(database_url)
        count = await conn.fetchval(f"SELECT count(*) FROM {DATASET}.postings")  # noqa: S608
        await conn.close()
    what = "extraction only" if extract_only else "merge on id"
    name = f"dlt pipeline, sandbox {mode.label} ({what})"
    return Measure(name, int(count), float(done["seconds"]))


def _compared(rows: list[Measure], peer: Measure | None, expected: int) -> list[Row]:
    """ledgersync's measures with their ratio to dlt's as the note, dlt's own, and checks."""
    found: list[Row] = []
    for row in rows:
        ratio = f"{row.rate / peer.rate:.2f} × dlt" if peer and peer.rate else "dlt not installed"
        found.append(row.with_note("; ".join(part for part in (ratio, row.note) if part)))
    if peer is not None:
        found.append(peer)
    for row in [*rows, *([peer] if peer else [])]:
        if row.count != expected:
            found.append(f"{row.name}: {row.count:,} postings, the sandbox holds {expected:,}")
    return found


async def _round(world: BenchWorld, contest: Contest, mode: Mode) -> list[Row]:
    """ledgersync with each process count, then dlt, on the sandbox in one mode."""
    await _set_latency(world, mode.latency)
    database_url = await world.fresh_database(contest.database)
    if mode.latency is None:  # both clients' pages rendered once, then served from memory
        await fetch_ceiling(world, world.years, "warming")
        if contest.version:
            await dlt_peer(world, database_url, mode, extract_only=True)
    measured = []
    for count in contest.processes:
        database_url = await world.fresh_database(contest.database)
        measured.append(await ledgersync(world, database_url, count, mode))
    peer = await dlt_peer(world, database_url, mode) if contest.version else None
    return _compared(measured, peer, contest.expected)


def run(
    postings: int, years: int, latency: str = LATENCY, process_counts: tuple[int, ...] = (1, 2)
) -> list[Row]:
    """ledgersync and dlt, instant and in latency mode; rows for the results table."""
    return asyncio.run(_run(postings, years, latency, process_counts))


async def _run(
    postings: int, years: int, latency: str, process_counts: tuple[int, ...]
) -> list[Row]:
    version = dlt_version()
    rows: list[Row] = [] if version else [NOT_INSTALLED]
    # a database of this run's own: another run on the same server drops nothing of it
    database = f"ledgersync_bench_peer_{secrets.token_hex(3)}"
    async with BenchWorld.start(postings=postings, years=years) as world:
        expected = await _truth(world)
        contest = Contest(database, process_counts, version, expected)
        database_url = await world.fresh_database(database)
        try:
            for mode in (
                Mode("instant", "instant", None),
                Mode("latency", f"latency {latency} ms", latency),
            ):
                rows += await _round(world, contest, mode)
        finally:
            await drop_database(database_url)
    if version:
        rows.append(
            f"dlt {version}: a @dlt.resource paging by from/count, merge on id, the "
            "default loader; timed from login to loaded, in its own process"
        )
    rows.append(Value("peer postings", expected))
    return rows


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.dlt_peer [POSTINGS [YEARS [LATENCY]]]`; `--pipeline`: the peer alone."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--pipeline"]:
        print(json.dumps(pipeline_main(json.loads(sys.stdin.read()))), flush=True)
        return 0
    postings = int(args[0]) if args else 300_000
    years = int(args[1]) if len(args) > 1 else 10
    latency = args[2] if len(args) > 2 else LATENCY
    for row in run(postings, years, latency):
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
