"""A SAF-T import whose worker process is killed mid-import (issue 17): the line restarts that
process alone, the import is taken over at once, and after the cap it fails with a sentence and
goes to the dead letters; retried once the cause is gone, the file is imported exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import psutil
import redis
from pipeline_harness import poll
from saft_support import World, fetch_count, generate

from shared.db import connect
from shared.saft.generate import Spec
from worker.line import WORKER_ID_ENV
from worker.saft.importer import MAX_DEATHS
from worker.testhooks import SAFT_HOLD

PROCESSES = 2
#: seconds for a line to start, and for a killed import to be running again
WITHIN_S = 60.0


def worker_processes(line: asyncio.subprocess.Process) -> dict[str, psutil.Process]:
    """The line's Dramatiq worker processes, by the broker id their slot gave them."""
    found = {}
    for main in psutil.Process(line.pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):  # a slot that just died
            for child in main.children():
                worker_id = child.environ().get(WORKER_ID_ENV)
                if worker_id and child.status() != psutil.STATUS_ZOMBIE:
                    found[worker_id] = child
    return found


async def _last_import(database_url: str) -> int:
    conn = await connect(database_url)
    try:
        return int(await conn.fetchval("SELECT max(id) FROM saft_imports"))
    finally:
        await conn.close()


async def import_row(database_url: str, import_id: int) -> dict[str, object]:
    conn = await connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT state, error, error_kind, deaths, lease_worker, bytes_read FROM saft_imports "
            "WHERE id = $1",
            import_id,
        )
        return dict(row)
    finally:
        await conn.close()


async def test_a_killed_import_is_capped_then_retried_into_exactly_the_file(
    world: World, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    world.env[SAFT_HOLD] = str(hold)  # every import stops after its first batch, until removed
    line = await world.start_worker(processes=PROCESSES)
    await poll("both worker processes", lambda: _count(line, PROCESSES), within=WITHIN_S)
    code, _, err = await world.ledgersync("org", "add", "Kaiaker Is", "--method", "saft")
    assert code == 0, err
    path, written = generate(tmp_path, Spec(org_number="912345678", transactions=12_000))
    code, out, err = await world.ledgersync("saft", "import", "Kaiaker Is", str(path))
    assert code == 0, err
    import_id = await _last_import(database_url)

    for death in range(MAX_DEATHS):

        async def held(death: int = death) -> dict[str, object] | None:
            row = await import_row(database_url, import_id)
            mid_import = row["state"] == "running" and int(row["bytes_read"]) > 0
            return row if mid_import and row["deaths"] == death else None

        row = await poll(f"the import mid-way (deaths: {death})", held, within=WITHIN_S)
        holders = worker_processes(line)
        victim = holders[str(row["lease_worker"])]
        others = {p.pid for wid, p in holders.items() if wid != row["lease_worker"]}
        os.kill(victim.pid, signal.SIGKILL)
        assert await fetch_count(database_url) == 0, "nothing of a killed import is visible"
        assert {p.pid for p in worker_processes(line).values()} >= others, "the others live on"

    async def failed() -> dict[str, object] | None:
        row = await import_row(database_url, import_id)
        return row if row["state"] == "failed" else None

    row = await poll("the import failed at the cap", failed, within=WITHIN_S)
    assert (row["error_kind"], row["deaths"]) == ("crashed", MAX_DEATHS)
    assert f"died {MAX_DEATHS} times" in str(row["error"])
    assert await fetch_count(database_url) == 0
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("dramatiq:saft.XQ") == 1, "the message is among the dead letters"
    client.close()
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert log.count('"worker_process_died"') == MAX_DEATHS
    assert line.returncode is None, "the line survived its children"
    await poll("both worker processes again", lambda: _count(line, PROCESSES), within=WITHIN_S)

    hold.unlink()  # the cause is fixed
    code, out, err = await world.ledgersync("jobs", "list", "--json")
    assert code == 0, err
    [job] = [j for j in json.loads(out) if j["actor"] == "import_saft"]
    code, _, err = await world.ledgersync("jobs", "retry", str(job["id"]))
    assert code == 0, err
    code, _, err = await world.ledgersync("org", "wait", "Kaiaker Is", "--timeout", "120")
    assert code == 0, err
    assert await fetch_count(database_url) == written.postings, "the file, exactly once"


async def _count(line: asyncio.subprocess.Process, n: int) -> bool:
    return len(await asyncio.to_thread(worker_processes, line)) >= n
