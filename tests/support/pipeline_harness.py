"""Harness for end-to-end pipeline tests: the sandbox over HTTP, real workers, real servers.

The sandbox runs in the test's event loop, so everything the test itself runs meanwhile
(the `ledgersync` command, database polls) is asynchronous and never blocks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest

from sandbox.server import SandboxServer
from shared.db import connect

CLI = "from cli.main import main; main()"
#: how long one organization may take to reach a settled state in these tests
SETTLE_TIMEOUT_S = 120.0


@dataclass
class Pipeline:
    """One test's world: a sandbox, a database, the environment the workers get, the truth."""

    server: SandboxServer
    database_url: str
    env: dict[str, str]
    truth: dict[str, Any]
    workers: list[asyncio.subprocess.Process] = field(default_factory=list)
    log_dir: Path = Path()
    schedulers: list[asyncio.subprocess.Process] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)

    def token(self, label: str) -> str:
        """An employee token of the scenario, by label."""
        return str(self.truth["tokens"][label])

    async def ledgersync(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        """Run the command line; (exit code, stdout, stderr)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI,
            *args,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate(stdin.encode() if stdin else None)
        assert process.returncode is not None
        with (self.log_dir / "cli.log").open("ab") as log:  # kept, to look for secrets in
            log.write(b"$ ledgersync " + " ".join(args).encode() + b"\n" + out + err)
        return process.returncode, out.decode(), err.decode()

    async def start_worker(
        self, *options: str, processes: int = 1, threads: int = 4, env: dict[str, str] | None = None
    ) -> asyncio.subprocess.Process:
        """Start one `ledgersync worker` (its log goes to the test's log folder)."""
        log = self._new_log("worker").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI,
            "worker",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
            *options,
            env=env or self.env,
            stdout=log,
            stderr=log,
        )
        self.workers.append(process)
        self.logs[process.pid] = Path(log.name)
        return process

    def _new_log(self, kind: str) -> Path:
        """A log file not used before in this test: `worker-0.log`, `worker-1.log`, ..."""
        return self.log_dir / f"{kind}-{len(list(self.log_dir.glob(kind + '-*.log')))}.log"

    def log_of(self, process: asyncio.subprocess.Process) -> str:
        """What a process started here has logged so far."""
        return self.logs[process.pid].read_text(errors="replace")

    async def start_scheduler(self, *options: str, requeue_after: float, tick: float = 0.5) -> None:
        """Start `ledgersync scheduler` re-sending lost work after `requeue_after` seconds."""
        log = self._new_log("scheduler").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI,
            "scheduler",
            "--requeue-after",
            str(requeue_after),
            "--tick",
            str(tick),
            *options,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        self.schedulers.append(process)

    async def stop_workers(self) -> None:
        """SIGTERM every worker and scheduler and wait for it."""
        processes = [*self.workers, *self.schedulers]
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                kill_tree(process)  # `ledgersync worker`'s Dramatiq runs in its own session
                await process.wait()
        self.workers.clear()
        self.schedulers.clear()

    async def add_org(self, name: str, label: str) -> int:
        """Register an API organization with a scenario token; its id."""
        code, out, err = await self.ledgersync(
            "org", "add", name, "--method", "api", "--token-stdin", stdin=self.token(label)
        )
        assert code == 0, err
        return int(out.strip())

    async def wait_state(self, org_id: int, *states: str) -> asyncpg.Record:
        """Poll until the organization reaches one of `states` (fails at the deadline)."""
        conn = await connect(self.database_url)
        try:
            deadline = asyncio.get_running_loop().time() + SETTLE_TIMEOUT_S
            while True:
                row = await conn.fetchrow("SELECT * FROM organizations WHERE id = $1", org_id)
                if row["state"] in states:
                    return row
                if asyncio.get_running_loop().time() >= deadline:
                    years = await conn.fetch(
                        "SELECT year, state FROM sync_years WHERE org_id = $1", org_id
                    )
                    chunks = await conn.fetch(
                        "SELECT state, count(*) FROM chunks WHERE org_id = $1 GROUP BY 1", org_id
                    )
                    pytest.fail(
                        f"org {org_id} still {row['state']} ({row['state_reason']}); years "
                        f"{[tuple(y) for y in years]}, chunks {[tuple(c) for c in chunks]}; "
                        f"logs in {self.log_dir}"
                    )
                await asyncio.sleep(0.2)
        finally:
            await conn.close()


def kill_tree(process: asyncio.subprocess.Process) -> int:
    """SIGKILL a `ledgersync worker` and every process under it; how many there were.

    `ledgersync worker` runs Dramatiq in a session of its own, whose main process forks the
    worker processes: each process group of the tree is killed at once, then any straggler.
    """
    root = psutil.Process(process.pid)
    tree = [root, *root.children(recursive=True)]
    own_group = os.getpgrp()
    groups = set()
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            groups.add(os.getpgid(member.pid))
    for group in groups - {own_group}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(tree, timeout=10)
    return len(tree)


def truth_ids(server: SandboxServer, company_id: int, year: int) -> set[int]:
    """The sandbox's own posting ids of a company and year (after any changes made to it)."""
    ledger = server.state.ledgers[company_id]
    first, stop = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
    return {p.id for p in ledger.postings(first, stop, 0, 10**9)}


async def stored_years(database_url: str, org_id: int) -> dict[str, dict[str, Any]]:
    """Count, debit and credit per year in the database, in --describe's format."""
    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT extract(year FROM posting_date)::int AS year, count(*) AS count,"
            " coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debit,"
            " coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS credit"
            " FROM postings WHERE org_id = $1 GROUP BY 1",
            org_id,
        )
    finally:
        await conn.close()
    return {
        str(r["year"]): {
            "count": r["count"],
            "debit": f"{Decimal(r['debit']):.2f}",
            "credit": f"{Decimal(r['credit']):.2f}",
        }
        for r in rows
    }


async def stored_ids(database_url: str, org_id: int, year: int) -> set[int]:
    """The posting ids stored for an organization's year."""
    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT posting_id FROM postings WHERE org_id = $1"
            " AND posting_date >= $2 AND posting_date < $3",
            org_id,
            date(year, 1, 1),
            date(year + 1, 1, 1),
        )
    finally:
        await conn.close()
    return {r["posting_id"] for r in rows}


def company_truth(truth: dict[str, Any], company_id: int) -> dict[str, Any]:
    """One company's years from --describe, without empty years."""
    company = next(c for c in truth["companies"] if c["id"] == company_id)
    return {y: v for y, v in company["years"].items() if v["count"]}


async def assert_matches_truth(world: Pipeline, org_id: int, company_id: int) -> None:
    """The database equals the sandbox for every year: count, sums and the set of ids."""
    expected = company_truth(world.truth, company_id)
    assert await stored_years(world.database_url, org_id) == expected
    for year in expected:
        ids = await stored_ids(world.database_url, org_id, int(year))
        assert ids == truth_ids(world.server, company_id, int(year)), f"ids differ in {year}"


# --- helpers for re-sync and fault tests (appended; nothing above changed) ---------------------
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import TypeVar  # noqa: E402

T = TypeVar("T")
#: the Dramatiq queues the workers consume, and the Redis namespace of their keys
DRAMATIQ_QUEUES = ("chunks", "onboarding")
DRAMATIQ_NAMESPACE = "dramatiq"


async def synced_good_org(world: Pipeline, company_id: int) -> int:
    """A worker, and the good token's organization (reaching `company_id`) imported and synced
    exactly."""
    await world.start_worker()
    org_id = await world.add_org("Fjordlys", "good")
    row = await world.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await assert_matches_truth(world, org_id, company_id)
    return org_id


def live_truth(world: Pipeline) -> dict[str, Any]:
    """`--describe` of the sandbox's data as it stands now (after control-API changes)."""
    from sandbox.truth import describe

    return describe(world.server.scenario, world.server.state.ledgers)


async def control(world: Pipeline, method: str, path: str, body: Any = None) -> Any:
    """Call the sandbox's control API (`path` under /_sandbox); the JSON answer, or None."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.request(method, world.server.control_url + path, json=body) as reply,
    ):
        text = await reply.text()
        assert reply.status < 300, f"{method} {path}: {reply.status} {text}"
        return await reply.json() if text else None


async def assert_matches_live_truth(world: Pipeline, org_id: int, company_id: int) -> None:
    """`assert_matches_truth` against the sandbox as it stands now, plus each row's content."""
    expected = company_truth(live_truth(world), company_id)
    stored = await stored_years(world.database_url, org_id)
    assert stored == expected, f"per-year totals differ: database {stored}, sandbox {expected}"
    for year in expected:
        ids = await stored_ids(world.database_url, org_id, int(year))
        truth = truth_ids(world.server, company_id, int(year))
        assert ids == truth, (
            f"ids differ in {year}: {len(ids - truth)} extra in the database "
            f"{sorted(ids - truth)[:5]}, {len(truth - ids)} missing {sorted(truth - ids)[:5]}"
        )
        rows = await stored_rows(world.database_url, org_id, int(year))
        source = source_rows(world.server, company_id, int(year))
        differ = sorted(pid for pid in source if rows.get(pid) != source[pid])
        assert not differ, (
            f"{len(differ)} posting(s) differ in {year}, e.g. {differ[0]}: "
            f"database {rows.get(differ[0])}, sandbox {source[differ[0]]}"
        )


PostingRow = tuple[str, Decimal, str, str, int, int]


def source_rows(server: SandboxServer, company_id: int, year: int) -> dict[int, PostingRow]:
    """Per posting id of a year: (date, amount, account, description, voucher id, row)."""
    ledger = server.state.ledgers[company_id]
    first, stop = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
    return {
        p.id: (
            p.date,
            Decimal(p.amount).scaleb(-2),
            str(p.account.number),
            p.description,
            p.voucher.id,
            p.row,
        )
        for p in ledger.postings(first, stop, 0, 10**9)
    }


async def stored_rows(database_url: str, org_id: int, year: int) -> dict[int, PostingRow]:
    """The same as `source_rows`, from the database."""
    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT posting_id, posting_date, amount, account_number, description, voucher_id,"
            " row_number FROM postings WHERE org_id = $1"
            " AND posting_date >= $2 AND posting_date < $3",
            org_id,
            date(year, 1, 1),
            date(year + 1, 1, 1),
        )
    finally:
        await conn.close()
    return {
        r["posting_id"]: (
            r["posting_date"].isoformat(),
            r["amount"],
            r["account_number"],
            r["description"],
            r["voucher_id"],
            r["row_number"],
        )
        for r in rows
    }


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Run one query on the test's database; its rows."""
    conn = await connect(database_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def poll(
    what: str,
    check: Callable[[], Awaitable[T]],
    *,
    within: float = SETTLE_TIMEOUT_S,
    every: float = 0.1,
) -> T:
    """Await `check()` until it returns something truthy (returned); fail after `within` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


async def wait_year_resynced(world: Pipeline, org_id: int, year: int, since: Any) -> asyncpg.Record:
    """Poll until a year restarted after `since` (a database timestamp) has settled again.

    `org sync` only sends a message: the organization is `synced` before the worker plans the
    year and again after. The year's `started_at` tells the two apart. Returns the
    organization's row once it is synced or needs attention with the year settled.
    """

    async def settled() -> asyncpg.Record | None:
        rows = await fetch(
            world.database_url,
            "SELECT o.state AS org_state, o.state_reason, y.state AS year_state"
            " FROM organizations AS o JOIN sync_years AS y ON y.org_id = o.id"
            " WHERE o.id = $1 AND y.year = $2 AND y.started_at > $3",
            org_id,
            year,
            since,
        )
        if not rows:
            return None
        row = rows[0]
        if row["org_state"] == "needs_attention":
            return row
        done = row["org_state"] == "synced" and row["year_state"] in ("synced", "failed")
        return row if done else None

    row: asyncpg.Record = await poll(
        f"org {org_id} year {year} to settle again (see {world.log_dir})", settled
    )
    return row


async def db_now(database_url: str) -> Any:
    """The database's clock (compare with its own timestamps, never the test's)."""
    return (await fetch(database_url, "SELECT now() AS now"))[0]["now"]


def redis_url_of(world: Pipeline) -> str:
    """The Redis the workers use."""
    return world.env["LEDGERSYNC_REDIS_URL"]


async def waiting_messages(redis_url: str) -> int:
    """Messages waiting in the queues, not yet taken by any worker (a flush loses these)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        return sum([await client.llen(f"{DRAMATIQ_NAMESPACE}:{q}") for q in DRAMATIQ_QUEUES])
    finally:
        await client.aclose()


async def queued_messages(redis_url: str) -> int:
    """Messages enqueued, delayed or being processed, but not yet acknowledged, in all queues."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        total = 0
        for queue in DRAMATIQ_QUEUES:
            for name in (queue, f"{queue}.DQ"):
                total += await client.hlen(f"{DRAMATIQ_NAMESPACE}:{name}.msgs")
        return total
    finally:
        await client.aclose()


async def wait_queues_drained(redis_url: str, within: float = SETTLE_TIMEOUT_S) -> None:
    """Poll until every message sent so far was processed and acknowledged."""

    async def drained() -> bool:
        return await queued_messages(redis_url) == 0

    await poll("the Dramatiq queues to drain", drained, within=within)


async def dead_letters(redis_url: str) -> dict[str, int]:
    """Dead-lettered messages per queue (Dramatiq's `<namespace>:<queue>.XQ` sorted sets)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        return {
            queue: await client.zcard(f"{DRAMATIQ_NAMESPACE}:{queue}.XQ")
            for queue in DRAMATIQ_QUEUES
        }
    finally:
        await client.aclose()


async def wait_registers(world: Pipeline, org_id: int) -> None:
    """Until every register's refresh of the sync is recorded (it runs beside the chunks, so an
    organization may be `synced` before it ends)."""
    from worker.tripletex.registers import REGISTERS

    async def done() -> bool:
        rows = await fetch(
            world.database_url,
            "SELECT count(*) AS n FROM register_refreshes WHERE org_id = $1",
            org_id,
        )
        return bool(rows[0]["n"] == len(REGISTERS))

    await poll(f"org {org_id}'s registers to be refreshed", done)
