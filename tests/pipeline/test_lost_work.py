"""Work that keeps killing its worker stops; a cancelled sync resumes where it stopped.

Real worker processes (and the real scheduler) against the sandbox over HTTP; each test ends
with the database equal to the sandbox's truth.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from typing import Any

import asyncpg
from pipeline_harness import (
    CLI,
    Pipeline,
    assert_matches_live_truth,
    control,
    fetch,
    poll,
    redis_url_of,
    wait_queues_drained,
)

from worker.sync.importer import DELIVERY_CAP
from worker.testhooks import CRASH_EXIT_CODE, CRASH_ON_CHUNK_DATE

GOOD_COMPANY = 201
#: the accountant's client with about 16,000 postings: enough chunks to stop half-way
BIG_CLIENT = 202
#: a day of the good company's ledger: its chunk (June 2023) kills every worker that starts it
CRASH_DAY = dt.date(2023, 6, 15)
#: seconds a crash test waits for one worker to die or the chunk to fail
CRASH_WITHIN_S = 90.0


async def start_scheduler(pipeline: Pipeline) -> asyncio.subprocess.Process:
    """`ledgersync scheduler` ticking fast; stopped with the workers at the end of the test."""
    log = (pipeline.log_dir / "scheduler.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLI,
        "scheduler",
        "--tick",
        "0.5",
        "--requeue-after",
        "5",
        env=pipeline.env,
        stdout=log,
        stderr=log,
    )
    pipeline.workers.append(process)
    return process


async def crash_chunk(pipeline: Pipeline, org_id: int) -> asyncpg.Record | None:
    """The chunk holding CRASH_DAY, once planned."""
    rows = await fetch(
        pipeline.database_url,
        "SELECT * FROM chunks WHERE org_id = $1 AND state <> 'split'"
        " AND date_from <= $2 AND $2 < date_to",
        org_id,
        CRASH_DAY,
    )
    return rows[0] if rows else None


async def test_a_chunk_that_always_crashes_its_worker_fails_after_the_delivery_cap(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker(processes=1, threads=4)
    org_id = await pipeline.add_org("Fjordlys", "good")
    await pipeline.wait_state(org_id, "synced")
    await pipeline.stop_workers()
    before = await crash_chunk(pipeline, org_id)
    assert before is not None
    # from now on, every worker that starts on June 2023 dies, and with it what it holds
    pipeline.env[CRASH_ON_CHUNK_DATE] = CRASH_DAY.isoformat()
    scheduler = await start_scheduler(pipeline)
    line = await pipeline.start_worker(processes=1, threads=4)
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", "2023")
    assert code == 0, err

    async def failed() -> asyncpg.Record | None:
        chunk = await crash_chunk(pipeline, org_id)
        assert line.returncode is None, f"the line stopped; see {pipeline.log_dir}"
        assert scheduler.returncode is None, f"the scheduler exited: {pipeline.log_dir}"
        return chunk if chunk is not None and chunk["state"] == "failed" else None

    # each death: the line restarts its worker process and hands its messages back at once
    await poll(f"the chunk to fail (logs in {pipeline.log_dir})", failed, within=CRASH_WITHIN_S)
    log = pipeline.log_of(line)
    crashes = log.count('"worker_process_died"')
    assert log.count(f"exit code {CRASH_EXIT_CODE}") == crashes, "each died by the hook"
    assert crashes == DELIVERY_CAP
    chunk = await crash_chunk(pipeline, org_id)
    assert chunk is not None
    assert chunk["abandoned"] == DELIVERY_CAP
    assert chunk["deliveries"] == before["deliveries"] + DELIVERY_CAP + 1, "died 5 times, failed"
    row = await pipeline.wait_state(org_id, "needs_attention")
    assert "jobs list" in row["state_reason"]
    code, out, err = await pipeline.ledgersync("jobs", "list", "--json")
    assert code == 0, err
    [job] = json.loads(out)
    assert (job["actor"], job["chunk_id"], job["state"], job["stop_reason"]) == (
        "import_chunk",
        chunk["id"],
        "failed",
        "crashed",
    )
    assert f"died holding this chunk {DELIVERY_CAP} times" in job["error"]
    code, out, _ = await pipeline.ledgersync("jobs", "list")
    assert "crashed" in out, "the table shows why it stopped"

    # the cause is fixed (a worker that does not crash), and the operator retries the job
    await pipeline.stop_workers()
    assert scheduler.returncode is not None
    del pipeline.env[CRASH_ON_CHUNK_DATE]
    await pipeline.start_worker(processes=1, threads=4)
    code, out, err = await pipeline.ledgersync("jobs", "retry", str(job["id"]))
    assert code == 0, err
    await pipeline.wait_state(org_id, "synced")
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)


async def progress(pipeline: Pipeline, org_id: int) -> dict[str, Any]:
    """The organization's chunk states and the postings it holds now."""
    chunks = await fetch(
        pipeline.database_url,
        "SELECT id, state, finished_at, deliveries FROM chunks WHERE org_id = $1",
        org_id,
    )
    [count] = await fetch(
        pipeline.database_url, "SELECT count(*) AS n FROM postings WHERE org_id = $1", org_id
    )
    return {"chunks": {c["id"]: c for c in chunks}, "postings": count["n"]}


async def test_cancel_stops_between_chunks_and_resume_continues_where_it_stopped(
    pipeline: Pipeline,
) -> None:
    await control(pipeline, "PATCH", "/faults", {"delay_ms": 100})
    await pipeline.start_worker(processes=1, threads=4)
    org_id = await pipeline.add_org("Regnskapskontoret", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(BIG_CLIENT))
    assert code == 0, err

    async def some_done() -> bool:
        states = [c["state"] for c in (await progress(pipeline, org_id))["chunks"].values()]
        return states.count("done") >= 3

    await poll("three chunks imported", some_done)
    code, out, err = await pipeline.ledgersync("org", "cancel", str(org_id))
    assert code == 0, err
    assert "nothing more starts" in out

    # every message sent so far was processed: running chunks finished, queued ones handed back
    await wait_queues_drained(redis_url_of(pipeline))
    stopped = await progress(pipeline, org_id)
    states = [c["state"] for c in stopped["chunks"].values()]
    assert "running" not in states
    assert "queued" not in states
    undone = {"pending", "held"} & set(states)  # held: years waiting for the newest's pattern
    assert undone, "the cancel came too late to leave anything undone"
    [org] = await fetch(pipeline.database_url, "SELECT * FROM organizations WHERE id = $1", org_id)
    assert org["state"] == "cancelled"
    assert "org resume" in org["state_reason"]
    code, _, err = await pipeline.ledgersync("org", "cancel", str(org_id))
    assert code == 2, "cancelling twice is bad input"
    assert len(err.strip().splitlines()) == 1

    code, out, err = await pipeline.ledgersync("org", "resume", str(org_id))
    assert code == 0, err
    seen = [stopped["postings"]]

    async def synced() -> bool:
        now = await progress(pipeline, org_id)
        seen.append(now["postings"])
        [row] = await fetch(
            pipeline.database_url, "SELECT state FROM organizations WHERE id = $1", org_id
        )
        return row["state"] in ("synced", "needs_attention")

    await poll("the resumed sync to settle", synced)
    assert seen == sorted(seen), "the imported count went down: something started from zero"
    await assert_matches_live_truth(pipeline, org_id, BIG_CLIENT)
    final = await progress(pipeline, org_id)
    for chunk_id, before in stopped["chunks"].items():
        if before["state"] == "done":
            after = final["chunks"][chunk_id]
            assert (after["finished_at"], after["deliveries"]) == (
                before["finished_at"],
                before["deliveries"],
            ), f"chunk {chunk_id}, done before the cancel, was imported again"
    actions = await fetch(
        pipeline.database_url, "SELECT action FROM audit_log WHERE org_id = $1 ORDER BY id", org_id
    )
    assert [a["action"] for a in actions][-2:] == ["org.cancel", "org.resume"]
