"""The scheduler: due organizations re-synced once per interval, lost chunks sent again."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import redis
import structlog.testing

from shared.db import create_pool
from shared.db.queries import Q
from shared.queue import sender
from worker.scheduler import Schedule, run, tick


def _queued(client: redis.Redis, queue: str) -> list[bytes]:
    return [
        client.hget(f"dramatiq:{queue}.msgs", mid)
        for mid in client.lrange(f"dramatiq:{queue}", 0, -1)
    ]


async def test_synced_orgs_are_resynced_once_per_interval_and_lost_chunks_resent(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    synced = await pg.fetchval(Q["org_insert"], "Synced AS", "api", "tripletex", "synced")
    await pg.execute("UPDATE organizations SET updated_at = now() - interval '2 hours'")
    busy = await pg.fetchval(Q["org_insert"], "Busy AS", "api", "tripletex", "syncing")
    day = dt.date(2024, 1, 1)
    lost = await pg.fetchval(Q["chunk_insert"], busy, 2024, day, day + dt.timedelta(days=31), 1)
    fresh = await pg.fetchval(
        Q["chunk_insert"], busy, 2024, day + dt.timedelta(days=31), day + dt.timedelta(days=60), 1
    )
    await pg.execute("UPDATE chunks SET state = 'queued', queued_at = now() - interval '1 hour'"
                     " WHERE id = $1", lost)  # fmt: skip
    await pg.execute("UPDATE chunks SET state = 'queued' WHERE id = $1", fresh)

    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    try:
        schedule = Schedule(sync_interval_s=3600, requeue_after_s=300)
        assert await tick(pool, broker, schedule) == (1, 1)
        assert await tick(pool, broker, schedule) == (0, 0), "claimed: not sent twice"
    finally:
        broker.close()
        await pool.close()

    onboarding = _queued(redis_client, "onboarding")
    chunks = _queued(redis_client, "chunks")
    this_year = dt.date.today().year
    assert len(onboarding) == 2
    assert all(b'"plan_sync"' in m and f"[{synced},".encode() in m for m in onboarding)
    assert {str(this_year).encode() in m for m in onboarding} == {True, False}
    assert len(chunks) == 1
    assert f"[{lost}]".encode() in chunks[0]


async def test_a_failing_tick_does_not_stop_the_scheduler(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    busy = await pg.fetchval(Q["org_insert"], "Busy AS", "api", "tripletex", "syncing")
    day = dt.date(2024, 1, 1)
    lost = await pg.fetchval(Q["chunk_insert"], busy, 2024, day, day + dt.timedelta(days=31), 1)
    await pg.execute("UPDATE chunks SET state = 'queued', queued_at = now() - interval '1 hour'"
                     " WHERE id = $1", lost)  # fmt: skip
    await pg.execute("ALTER TABLE chunks RENAME TO chunks_away")  # every tick fails for now

    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    with structlog.testing.capture_logs() as logs:
        running = asyncio.create_task(run(pool, broker, Schedule(tick_s=0.05)))
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while not any(e["event"] == "scheduler_tick_failed" for e in logs):
                assert asyncio.get_running_loop().time() < deadline, "no tick failed"
                await asyncio.sleep(0.05)
            await pg.execute("ALTER TABLE chunks_away RENAME TO chunks")
            while not _queued(redis_client, "chunks"):
                assert not running.done(), "the scheduler stopped"
                assert asyncio.get_running_loop().time() < deadline, "the lost chunk was not sent"
                await asyncio.sleep(0.05)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            broker.close()
            await pool.close()
    assert f"[{lost}]".encode() in _queued(redis_client, "chunks")[0]
