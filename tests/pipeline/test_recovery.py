"""Imports that survive their infrastructure: killed and stopped workers, an emptied Redis,
dropped database connections, lost messages, and every fault of Tripletex at once.

Each test ends with the database equal to the sandbox's truth per year (count, debit and credit
sums, the set of posting ids and each row's content), and no dead letter.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

import redis.asyncio as aioredis
from pipeline_harness import (
    Pipeline,
    company_truth,
    control,
    fetch,
    kill_tree,
    poll,
    queued_messages,
    redis_url_of,
    waiting_messages,
)
from recovery_support import (
    BIG_CLIENT,
    assert_imported_exactly,
    chunk_progress,
    set_faults,
    start_big_client,
    wait_partly_done,
)

from shared.queue import HEARTBEAT_TIMEOUT_MS

GOOD_COMPANY = 201
#: seconds a killed line's work may take to come back beyond its heartbeat's timeout: the other
#: workers' sweep (every 5 s) and a slow machine's patience
TAKEN_OVER_WITHIN_S = 30.0
#: a short lease and quick re-sends, so lost work comes back within a test's patience
LEASE = ("--lease", "5")
REQUEUE_AFTER_S = 1.0
RUNNING = "SELECT id FROM chunks WHERE org_id = $1 AND state = 'running'"


async def running_chunks(pipeline: Pipeline, org_id: int) -> list[int]:
    """Ids of the organization's chunks that a worker holds now."""
    return [r["id"] for r in await fetch(pipeline.database_url, RUNNING, org_id)]


async def test_a_worker_killed_mid_import_is_replaced(pipeline: Pipeline) -> None:
    await set_faults(pipeline, delay_ms=50)  # chunks stay in flight long enough to be caught
    first = await pipeline.start_worker(*LEASE, processes=2, threads=4)
    await pipeline.start_scheduler(requeue_after=REQUEUE_AFTER_S)
    org_id = await start_big_client(pipeline)
    await wait_partly_done(pipeline, org_id)
    await poll("a chunk held by the worker", lambda: running_chunks(pipeline, org_id))

    assert kill_tree(first) >= 3, "not the whole tree: ledgersync, dramatiq and its processes"
    await first.wait()
    # read after the kill: a chunk seen running before it may have finished in between
    held = await running_chunks(pipeline, org_id)
    assert held, "the killed worker held no chunk"
    await pipeline.start_worker(*LEASE, processes=1, threads=4)

    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    redelivered = await fetch(
        pipeline.database_url,
        "SELECT id FROM chunks WHERE id = ANY($1::bigint[]) AND deliveries >= 2",
        held,
    )
    assert sorted(r["id"] for r in redelivered) == sorted(held), "a held chunk was not taken over"


async def test_a_killed_lines_work_is_taken_over_by_a_fresh_worker_within_a_minute(
    pipeline: Pipeline,
) -> None:
    # a machine gone: nothing of its line hands anything back, leases are the default 10 minutes,
    # and no scheduler runs; only the other workers can see its heartbeat fall silent
    first = await pipeline.start_worker(processes=1, threads=4)
    org_id = await start_big_client(pipeline)
    await wait_partly_done(pipeline, org_id)
    await set_faults(pipeline, delay_ms=60_000)  # the chunks in flight stay in flight
    held = await poll("a chunk held by the worker", lambda: running_chunks(pipeline, org_id))
    assert kill_tree(first) >= 3, "not the whole tree: ledgersync, dramatiq and its processes"
    await first.wait()
    killed = asyncio.get_running_loop().time()

    await set_faults(pipeline, delay_ms=0)
    fresh = await pipeline.start_worker(processes=1, threads=4)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    took = asyncio.get_running_loop().time() - killed
    assert took < HEARTBEAT_TIMEOUT_MS / 1000 + TAKEN_OVER_WITHIN_S, f"it took {took:.0f} s"
    assert '"dead_worker_taken_over"' in pipeline.log_of(fresh), "Dramatiq's maintenance did it"
    taken_over = await fetch(
        pipeline.database_url,
        "SELECT id FROM chunks WHERE id = ANY($1::bigint[]) AND deliveries >= 2",
        held,
    )
    assert sorted(r["id"] for r in taken_over) == sorted(held), "a held chunk was not taken over"


async def test_redis_emptied_mid_import(pipeline: Pipeline) -> None:
    await set_faults(pipeline, delay_ms=50)
    # one thread: chunk messages wait in the queue, not all held by the worker (a flush loses
    # only what waits; what a worker holds is done all the same, and nothing is to be sent again)
    await pipeline.start_worker(processes=1, threads=1)
    await pipeline.start_scheduler(requeue_after=REQUEUE_AFTER_S)
    org_id = await start_big_client(pipeline)
    await wait_partly_done(pipeline, org_id)
    await poll(
        "a message waiting in Redis, to lose",
        lambda: waiting_messages(redis_url_of(pipeline)),
    )

    await flush_redis(pipeline)

    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    assert "resent_chunks" in scheduler_log(pipeline), "the scheduler sent nothing again"


async def test_database_connections_dropped_mid_import(pipeline: Pipeline) -> None:
    await set_faults(pipeline, delay_ms=20)
    await pipeline.start_worker(processes=2, threads=4)
    await pipeline.start_scheduler(requeue_after=REQUEUE_AFTER_S)
    org_id = await start_big_client(pipeline)
    terminated = 0
    for share in (0.2, 0.5):
        await wait_partly_done(pipeline, org_id, share=share)
        rows = await fetch(
            pipeline.database_url,
            "SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        terminated += sum(r["gone"] for r in rows)
    assert terminated >= 2, "no worker connection was there to drop"
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)


#: requests per second under the rate limit (the import needs about 30, and more with faults)
LIMIT = 10


async def test_every_tripletex_fault_at_once_under_the_rate_limit(
    pipeline: Pipeline, record_property: Callable[[str, object], None]
) -> None:
    await set_faults(
        pipeline,
        error_share=0.1,
        reset_share=0.03,
        truncate_share=0.03,
        session_ttl=2.0,
        inexact_total=True,
        rate_limit=LIMIT,
        rate_window=1.0,
    )
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await start_big_client(pipeline)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)

    seen = await control(pipeline, "GET", "/counters")
    by_status = seen["by_status"]
    record_property("requests", seen["total"])
    record_property("by_status", by_status)
    assert sum(by_status.get(s, 0) for s in ("500", "502", "503")) > 0, "no server error made"
    assert by_status.get("401", 0) >= 1, "no session expired during the import"
    assert seen["total"] > 2 * LIMIT, "the import fitted in two windows: the limit proves nothing"
    limited = by_status.get("429", 0)
    assert limited < seen["total"] / 100, f"{limited} of {seen['total']} requests were 429s"


async def test_a_stopped_worker_hands_back_what_it_holds(
    pipeline: Pipeline, record_property: Callable[[str, object], None]
) -> None:
    first = await pipeline.start_worker("--grace", "0.5", processes=1, threads=4)
    org_id = await start_big_client(pipeline)
    await wait_partly_done(pipeline, org_id)
    # Tripletex turns slow: the chunks in flight would need a minute to finish
    await set_faults(pipeline, delay_ms=60_000)
    held = await poll("a chunk held by the worker", lambda: running_chunks(pipeline, org_id))

    loop = asyncio.get_running_loop()
    asked = loop.time()
    first.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(first.wait(), 45)
    record_property("sigterm_exit_s", round(loop.time() - asked, 2))
    assert code == 0
    assert await running_chunks(pipeline, org_id) == [], "a stopped worker kept its leases"
    assert await queued_messages(redis_url_of(pipeline)) >= len(held), "work was not handed back"

    # no scheduler: only the messages handed back can finish the import
    await set_faults(pipeline, delay_ms=0)
    await pipeline.start_worker(processes=1, threads=4)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    done, total = await chunk_progress(pipeline, org_id)
    assert done == total


async def test_lost_onboarding_messages_are_sent_again(pipeline: Pipeline) -> None:
    # validate_token lost: registered while no worker runs, then Redis emptied
    org_id = await pipeline.add_org("Fjordlys", "good")
    await flush_redis(pipeline)
    await pipeline.start_worker(processes=1, threads=4)
    await pipeline.start_scheduler(requeue_after=REQUEUE_AFTER_S)
    await assert_imported_exactly(pipeline, org_id, GOOD_COMPANY)

    # then, as if a worker had died at each step: a year whose chunks are all done but never
    # closed, one reconciling whose message is lost, and chunks planned but never sent
    unclosed, unreconciled, undispatched = sorted(
        int(year) for year in company_truth(pipeline.truth, GOOD_COMPANY)
    )
    await fetch(
        pipeline.database_url,
        "WITH y AS (UPDATE sync_years SET state = CASE year WHEN $2 THEN 'reconciling'"
        " ELSE 'importing' END, started_at = now() - interval '1 hour',"
        " finished_at = now() - interval '1 hour' WHERE org_id = $1 AND year = ANY($4::int[])"
        " RETURNING year),"
        " c AS (UPDATE chunks SET state = 'pending' WHERE org_id = $1 AND year = $3"
        " AND state = 'done' RETURNING id)"
        " UPDATE organizations SET state = 'syncing' WHERE id = $1 RETURNING id",
        org_id,
        unreconciled,
        undispatched,
        [unclosed, unreconciled, undispatched],
    )
    await poll("every year settled again", lambda: all_years_synced(pipeline, org_id))
    await assert_imported_exactly(pipeline, org_id, GOOD_COMPANY)


async def test_a_lost_plan_is_sent_again(pipeline: Pipeline) -> None:
    await pipeline.start_worker(processes=1, threads=4)
    org_id = await pipeline.add_org("Regnskapskontoret", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    await pipeline.stop_workers()

    code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(BIG_CLIENT))
    assert code == 0, err
    await flush_redis(pipeline)  # plan_sync lost before any worker saw it
    await pipeline.start_worker(processes=1, threads=4)
    await pipeline.start_scheduler(requeue_after=REQUEUE_AFTER_S)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)


async def all_years_synced(pipeline: Pipeline, org_id: int) -> bool:
    """Whether the organization and each of its years are synced."""
    rows = await fetch(
        pipeline.database_url,
        "SELECT bool_and(y.state = 'synced') AND bool_and(o.state = 'synced') AS synced"
        " FROM sync_years AS y JOIN organizations AS o ON o.id = y.org_id WHERE o.id = $1",
        org_id,
    )
    return bool(rows[0]["synced"])


async def flush_redis(pipeline: Pipeline) -> None:
    """Empty the test's Redis database: every message, heartbeat and rate-limit key gone."""
    client = aioredis.Redis.from_url(redis_url_of(pipeline))
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def scheduler_log(pipeline: Pipeline) -> str:
    """Everything the test's schedulers logged."""
    return "".join(p.read_text() for p in sorted(pipeline.log_dir.glob("scheduler-*.log")))
