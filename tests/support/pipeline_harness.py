"""Harness for end-to-end pipeline tests: the sandbox over HTTP, real workers, real servers.

The sandbox runs in the test's event loop, so everything the test itself runs meanwhile
(the `ledgersync` command, database polls) is asynchronous and never blocks it.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

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

    def token(self, label: str) -> str:
        """An employee token of the scenario, by label."""
        return str(self.truth["tokens"][label])

    async def ledgersync(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        """Run the command line; (exit code, stdout, stderr)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLI, *args, env=self.env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate(stdin.encode() if stdin else None)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    async def start_worker(self, *, processes: int = 1, threads: int = 4) -> None:
        """Start one `ledgersync worker` (its log goes to the test's log folder)."""
        log = (self.log_dir / f"worker-{len(self.workers)}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLI, "worker", "--processes", str(processes),
            "--threads", str(threads), env=self.env, stdout=log, stderr=log,
        )  # fmt: skip
        self.workers.append(process)

    async def stop_workers(self) -> None:
        """SIGTERM every worker and wait for it."""
        for process in self.workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.workers.clear()

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
                assert asyncio.get_running_loop().time() < deadline, (
                    f"org {org_id} still {row['state']} ({row['state_reason']}); see {self.log_dir}"
                )
                await asyncio.sleep(0.2)
        finally:
            await conn.close()


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
            org_id, date(year, 1, 1), date(year + 1, 1, 1),
        )  # fmt: skip
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
