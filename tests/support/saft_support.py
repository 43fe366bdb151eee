"""Helpers for the SAF-T tests: the fixtures, an independent reading of a file, the database."""

from __future__ import annotations

import asyncio
import signal
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from pipeline_harness import CLI

from shared.saft.generate import Spec, Written, write

FIXTURES = Path(__file__).resolve().parent.parent / "saft" / "fixtures"
NS = "{urn:StandardAuditFile-Taxation-Financial:NO}"
#: the official examples that import
VALID = (
    "ExampleFile SAF-T Financial_888888888_20180228235959.xml",
    "ExampleFile SAF-T Financial_999999999_20161125213512.xml",
    "generated_auditfile_formatted_v_1.30.xml",
    "generated_auditfile_formatted_v_1.40.xml",
)


@dataclass(frozen=True)
class Truth:
    """A file's content by a reading independent of the importer (the standard library's)."""

    entries: int
    total_debit: Decimal
    total_credit: Decimal
    transactions: int
    lines: int
    debit: Decimal
    credit: Decimal
    org_number: str
    years: dict[int, int]


def read_truth(path: Path) -> Truth:
    """Count and sum a (small) file with ElementTree: its control totals and its lines."""
    root = ET.parse(path).getroot()  # noqa: S314 - trusted test fixtures
    gle = root.find(f"{NS}GeneralLedgerEntries")
    assert gle is not None
    transactions = list(gle.iter(f"{NS}Transaction"))
    debit = credit = Decimal(0)
    lines = 0
    years: dict[int, int] = {}
    for txn in transactions:
        year = int((txn.findtext(f"{NS}TransactionDate") or "")[:4])
        for line in txn.findall(f"{NS}Line"):
            lines += 1
            years[year] = years.get(year, 0) + 1
            debit += Decimal(line.findtext(f"{NS}DebitAmount/{NS}Amount") or 0)
            credit += Decimal(line.findtext(f"{NS}CreditAmount/{NS}Amount") or 0)
    return Truth(
        entries=int(gle.findtext(f"{NS}NumberOfEntries") or -1),
        total_debit=Decimal(gle.findtext(f"{NS}TotalDebit") or "NaN"),
        total_credit=Decimal(gle.findtext(f"{NS}TotalCredit") or "NaN"),
        transactions=len(transactions),
        lines=lines,
        debit=debit,
        credit=credit,
        org_number=(root.findtext(f"{NS}Header/{NS}Company/{NS}RegistrationNumber") or "").strip(),
        years=years,
    )


def generate(folder: Path, spec: Spec, name: str | None = None) -> tuple[Path, Written]:
    """Write a generated file into `folder`; its path and numbers."""
    path = folder / (name or spec.name())
    with path.open("w", encoding="utf-8") as out:
        written = write(out, spec)
    return path, written


def line_of(path: Path, marker: str, occurrence: int = 1) -> int:
    """The line number of the n-th line containing `marker`."""
    seen = 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, text in enumerate(lines, 1):
            if marker in text:
                seen += 1
                if seen == occurrence:
                    return number
    raise AssertionError(f"{marker!r} not in {path}")


async def stored(conn: asyncpg.Connection, org_id: int) -> dict[str, Any]:
    """Count, debit and credit of an organization's postings."""
    row = await conn.fetchrow(
        "SELECT count(*) AS count,"
        " coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debit,"
        " coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS credit"
        " FROM postings WHERE org_id = $1",
        org_id,
    )
    return dict(row)


async def all_rows(conn: asyncpg.Connection, org_id: int) -> list[tuple[Any, ...]]:
    """Every posting of an organization, as tuples in id order (to compare before and after)."""
    rows = await conn.fetch("SELECT * FROM postings WHERE org_id = $1 ORDER BY posting_id", org_id)
    return [tuple(r) for r in rows]


@dataclass
class SaftWorld:
    """One test's database, pool, sending broker, settings and SAF-T organization."""

    pg: asyncpg.Connection
    pool: asyncpg.Pool
    broker: Any
    settings: Any
    org_id: int
    folder: Path

    async def submit(self, *paths: Path) -> Any:
        """Submit files for the organization (the message goes to Redis; nobody consumes it)."""
        from shared.saft.submit import Upload, submit

        return await submit(self.pg, self.broker, self.settings, Upload(self.org_id, list(paths)))

    async def run(self, *paths: Path) -> dict[str, Any]:
        """Submit, run the import as a worker would, and return the import's status."""
        from shared.saft.submit import import_status
        from worker.saft.importer import import_saft

        submission = await self.submit(*paths)
        await import_saft(self.pool, self.settings.home, submission.import_id)
        status = await import_status(self.pg, submission.import_id)
        return status | {"already": submission.already}

    def generate(self, spec: Spec, name: str | None = None) -> tuple[Path, Written]:
        """A generated file in the test's folder."""
        return generate(self.folder, spec, name)

    async def org(self) -> asyncpg.Record:
        """The organization's row."""
        from shared.db.queries import Q

        return await self.pg.fetchrow(Q["org_by_id"], self.org_id)

    async def rows(self) -> list[tuple[Any, ...]]:
        """Every posting of the organization, in id order."""
        return await all_rows(self.pg, self.org_id)

    async def stored(self) -> dict[str, Any]:
        """Count, debit and credit of the organization's postings."""
        return await stored(self.pg, self.org_id)


async def fetch_count(database_url: str) -> int:
    """How many postings the database holds."""
    from shared.db import connect

    conn = await connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM postings"))
    finally:
        await conn.close()


class World:
    """This test's servers and home, and the command line with them."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.workers: list[asyncio.subprocess.Process] = []

    async def ledgersync(self, *args: str) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of one command."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI,
            *args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    async def start_worker(self, processes: int = 1) -> asyncio.subprocess.Process:
        """One `ledgersync worker` line (log in the test's folder)."""
        log = (self.log_dir / "worker.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI,
            "worker",
            "--processes",
            str(processes),
            "--threads",
            "2",
            env=self.env,
            stdout=log,
            stderr=log,
        )
        self.workers.append(process)
        return process

    async def stop_workers(self) -> None:
        """SIGTERM the workers and wait for them."""
        for process in self.workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            await asyncio.wait_for(process.wait(), 60)
