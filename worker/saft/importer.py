"""Import a SAF-T file by its import id: read, check, stage, swap into `postings`, all or nothing.

The file is read on a thread (the event loop stays free for other actors) one batch ahead of the
COPY into a staging table, inside one transaction: nothing is visible until every check passed
and the period's postings were swapped, and a refused file leaves the postings as they were.
Progress goes to `saft_imports` through another connection about once a second; it also
extends the lease, so a worker that died is replaced and the import starts over.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import asyncpg
import structlog

from shared import audit
from shared.db.queries import Q
from shared.errors import PermanentJobError, StorageError
from shared.ledger.proof import prove_year
from shared.models import FIRST_YEAR, LAST_YEAR, OrgState
from shared.orgs.state import company_from_file, needs_attention, set_state
from shared.saft.checks import Ledger, check_company
from shared.saft.errors import InvalidSaftFile, InvalidValue
from shared.saft.files import SetReader
from shared.saft.model import Header, Period, Transaction, span_of
from shared.saft.reader import read, sniff
from shared.saft.values import where
from worker import testhooks
from worker.saft.on_thread import pump
from worker.saft.store import (
    Batch,
    Positions,
    Replaced,
    Snapshot,
    Writer,
    staged_rows,
    years_of,
)
from worker.sync.store import LeaseLost

logger = structlog.get_logger(__name__)

#: seconds an import is held without news before another worker may take it over
LEASE_S = 300.0
#: seconds between progress writes
PROGRESS_EVERY_S = 1.0
#: lines per COPY
BATCH_ROWS = 20_000
#: deliveries that end in an unexpected error before the import is marked failed
MAX_ATTEMPTS = 3
#: deaths of the worker process importing a file before the import is failed (issue 17)
MAX_DEATHS = 3
MAX_DEATHS_ENV = "LEDGERSYNC_SAFT_MAX_DEATHS"


class Job:
    """One claimed import: its row, its lease, and how it reports and ends."""

    def __init__(self, pool: asyncpg.Pool, claimed: asyncpg.Record, owner: uuid.UUID) -> None:
        self.pool = pool
        self.id: int = claimed["id"]
        self.org_id: int = claimed["org_id"]
        self.attempts: int = claimed["attempts"]
        self.parts = [(f["name"], Path(f["path"])) for f in claimed["files"]]
        self.owner = owner
        self._last = 0.0

    async def report(self, snap: Snapshot, *, force: bool = False) -> None:
        """Write progress (at most once a second); LeaseLost when another worker took over."""
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        async with self.pool.acquire() as conn:
            held = await conn.fetchval(
                Q["saft_import_progress"],
                self.id,
                self.owner,
                snap.bytes_read,
                snap.transactions,
                snap.postings,
                snap.years,
                LEASE_S,
            )
        if held is None:
            raise LeaseLost(f"SAF-T import {self.id} was taken over by another worker.")

    async def refuse(self, exc: InvalidSaftFile) -> None:
        """The file is invalid: the import ends refused, the organization needs attention."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                Q["saft_import_fail"],
                self.id,
                self.owner,
                "invalid",
                str(exc),
                type(exc).__name__,
            )
            await needs_attention(conn, self.org_id, str(exc))
        logger.warning("saft_refused", import_id=self.id, kind=type(exc).__name__, line=exc.line)

    async def crashed(self, deaths: int) -> NoReturn:
        """The worker process importing the file died `deaths` times: fail it for good."""
        sentence = (
            f"The worker process importing {self.parts[0][0]} died {deaths} times (killed by "
            "the system, perhaps for memory, or crashed); it is not tried again. Check the "
            "worker's log and memory, then `ledgersync jobs retry` imports it again."
        )
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                Q["saft_import_fail"], self.id, self.owner, "failed", sentence, "crashed"
            )
            await needs_attention(conn, self.org_id, sentence)
        logger.error("saft_crash_cap", import_id=self.id, deaths=deaths)
        raise PermanentJobError(sentence)

    async def give_back(self, exc: Exception) -> bool:
        """After an unexpected error: try again later, or (True) fail for good."""
        sentence = f"The import failed ({type(exc).__name__}: {exc})."
        async with self.pool.acquire() as conn, conn.transaction():
            if self.attempts < MAX_ATTEMPTS and not isinstance(exc, PermanentJobError):
                await conn.execute(Q["saft_import_release"], self.id, self.owner, sentence)
                return False
            await conn.execute(
                Q["saft_import_fail"], self.id, self.owner, "failed", sentence, "failed"
            )
            await needs_attention(conn, self.org_id, sentence)
        return True


def max_deaths() -> int:
    """How many times an import's worker process may die before the import fails."""
    raw = os.environ.get(MAX_DEATHS_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else MAX_DEATHS


class Busy(StorageError):
    """Another import of the same organization is running: try this one again later."""


async def import_saft(
    pool: asyncpg.Pool,
    home: Path,
    import_id: int,
    *,
    worker_id: str | None = None,
    alive: list[str] | None = None,
) -> None:
    """Import one submitted file (a no-op when it is done, refused, or held by another worker).

    `home` is LEDGERSYNC_HOME: the stored copies under it are deleted once the import ended.
    `worker_id` is this process's Dramatiq broker id, `alive` those alive in Redis (None: not
    known): an import held by a dead worker is taken over at once, and its death counted.
    Raises Busy, untried, while another import of the organization runs, and PermanentJobError
    once the import's worker process died MAX_DEATHS times.
    """
    owner = uuid.uuid4()
    async with pool.acquire() as conn:
        claimed = await conn.fetchrow(
            Q["saft_import_claim"], import_id, owner, LEASE_S, worker_id, alive
        )
    if claimed is None:
        return
    job = Job(pool, claimed, owner)
    if claimed["deaths"] >= max_deaths():
        await job.crashed(claimed["deaths"])
    try:
        await run(job)
    except InvalidSaftFile as exc:
        await job.refuse(exc)
    except LeaseLost:
        logger.warning("saft_lease_lost", import_id=import_id)
        return
    except Busy:
        async with pool.acquire() as conn:
            await conn.execute(Q["saft_import_defer"], job.id, owner)
        raise
    except Exception as exc:
        await job.give_back(exc)  # a failed import keeps its copy: `jobs retry` imports it again
        raise
    remove_copies(job.parts, home)


async def run(job: Job) -> None:
    """Read, check and store the file in one transaction."""
    for _, path in job.parts:
        if not path.is_file():
            raise PermanentJobError(f"The stored copy {path} is gone; submit the file again.")
    headers = await asyncio.to_thread(_sniff_all, job.parts)
    ledger = Ledger()
    reader = SetReader(job.parts, ledger)
    positions = Positions()
    started = time.monotonic()
    async with job.pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(Q["saft_org_lock"], job.org_id):
            raise Busy(f"Another SAF-T import of organization {job.org_id} is running.")
        org = await conn.fetchrow(Q["org_by_id"], job.org_id)
        check_company(headers[0], org["name"], org["company_org_number"], job.parts[0][0])
        period = span_of(h.period for h in headers) or await asyncio.to_thread(
            transaction_span, job.parts
        )
        writer = Writer(conn, job.org_id, period, headers[0].currency)
        await writer.open()
        await stage(writer, lambda: staged_rows(reader, positions, BATCH_ROWS), job)
        replaced = await writer.finish(ledger, positions)
        warnings = await writer.masters.finish(job.id, ledger.period())
        for year in sorted(replaced.years):
            await prove_year(conn, job.org_id, year)
        await conn.fetchrow(Q["org_lock"], job.org_id)
        await _finish(conn, job, ledger, replaced, warnings)
    seconds = time.monotonic() - started
    logger.info(
        "saft_imported",
        import_id=job.id,
        org_id=job.org_id,
        transactions=ledger.transactions,
        postings=ledger.postings,
        replaced=replaced.deleted,
        seconds=round(seconds, 2),
        mb_per_s=round(reader.bytes_read() / 2**20 / max(seconds, 1e-9), 1),
    )


def transaction_span(parts: list[tuple[str, Path]]) -> Period | None:
    """The first to the last transaction date of a set without a selection period (a pre-pass).

    That range, not the first transaction's calendar year, is what the file replaces; it must be
    known before the first batch is stored, as it names the block of posting ids.
    """
    first = last = None
    names: dict[str, str] = {}
    for name, path in parts:
        with path.open("rb") as stream:
            for event in read(stream, name, names):
                if type(event) is Transaction:
                    first = event.date if first is None else min(first, event.date)
                    last = event.date if last is None else max(last, event.date)
                    if not FIRST_YEAR <= event.date.year <= LAST_YEAR:
                        raise InvalidValue(
                            f"{where('TransactionDate', event.line, name)} is in "
                            f"{event.date.year}, outside {FIRST_YEAR}-{LAST_YEAR}; correct it "
                            "in the export.",
                            element="TransactionDate",
                            line=event.line,
                            file=name,
                        )
    return None if first is None or last is None else Period(first, last)


def _sniff_all(parts: list[tuple[str, Path]]) -> list[Header]:
    headers = []
    for name, path in parts:
        with path.open("rb") as stream:
            headers.append(sniff(stream, name))
    return headers


async def stage(writer: Writer, batches: Callable[[], Iterator[Batch]], job: Job) -> None:
    """Store the batches as they come, the next one read meanwhile on a thread of its own."""

    async def store(batch: Batch) -> None:
        await writer.write(batch)
        await job.report(batch.progress, force=testhooks.saft_hold_asked())
        await testhooks.hold_saft_if_asked()

    await pump(batches, store, name=f"saft-import-{job.id}")


async def _finish(
    conn: asyncpg.Connection, job: Job, ledger: Ledger, replaced: Replaced, warnings: list[str]
) -> None:
    """Finish the import's row and the organization (its company, its state), audited."""
    period = ledger.period()
    header = ledger.header
    assert header is not None
    finished = await conn.fetchval(
        Q["saft_import_finish"],
        job.id,
        job.owner,
        ledger.transactions,
        ledger.postings,
        years_of(ledger),
        header.version,
        header.org_number,
        header.company_name,
        header.currency,
        period.start if period else None,
        period.end if period else None,
        replaced.deleted,
        ledger.warnings() + warnings,
        ledger.total_debit,
        ledger.total_credit,
    )
    if finished is None:
        raise LeaseLost(f"SAF-T import {job.id} was taken over by another worker.")
    await company_from_file(conn, job.org_id, header.company_name, header.org_number)
    others = await conn.fetchval(Q["saft_imports_open_other"], job.org_id, job.id)
    state = OrgState.SYNCING if others else OrgState.SYNCED
    await set_state(conn, job.org_id, state)
    await audit.record(
        conn,
        "saft.import",
        job.org_id,
        {"import_id": job.id, "postings": ledger.postings, "replaced": replaced.deleted},
    )


def remove_copies(parts: list[tuple[str, Path]], home: Path) -> None:
    """Delete the stored copies of a finished import (only under LEDGERSYNC_HOME/saft)."""
    root = (home / "saft").resolve()
    for folder in {path.parent.resolve() for _, path in parts}:
        if folder.parent == root:
            shutil.rmtree(folder, ignore_errors=True)
