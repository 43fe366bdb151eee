"""The scheduler: checksum polls and nightly passes when due, lost work sent again."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import asyncpg
import redis

from shared.db import create_pool
from shared.db.queries import Q
from shared.queue import sender
from worker.sync.scheduler import Schedule, Tick, tick


def _queued(client: redis.Redis, queue: str) -> list[bytes]:
    return [
        client.hget(f"dramatiq:{queue}.msgs", mid)
        for mid in client.lrange(f"dramatiq:{queue}", 0, -1)
    ]


async def test_synced_orgs_are_polled_once_per_interval_and_lost_chunks_resent(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    """The hourly full re-sync is gone (issue 21): a synced organization gets a checksum poll of
    its recent ranges once per poll interval instead, and its first nightly pass is set."""
    synced = await pg.fetchval(Q["org_insert"], "Synced AS", "api", "tripletex", "synced")
    await pg.execute("UPDATE organizations SET updated_at = now() - interval '2 hours'")
    busy = await pg.fetchval(Q["org_insert"], "Busy AS", "api", "tripletex", "syncing")
    day = dt.date(2024, 1, 1)
    lost = await pg.fetchval(
        Q["chunk_insert"], busy, 2024, day, day + dt.timedelta(days=31), 1, None, None
    )
    fresh = await pg.fetchval(
        Q["chunk_insert"],
        busy,
        2024,
        day + dt.timedelta(days=31),
        day + dt.timedelta(days=60),
        1,
        None,
        None,
    )
    await pg.execute(
        "UPDATE chunks SET state = 'queued', queued_at = now() - interval '1 hour' WHERE id = $1",
        lost,
    )
    await pg.execute("UPDATE chunks SET state = 'queued' WHERE id = $1", fresh)

    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    try:
        schedule = Schedule(poll_interval_s=900, requeue_after_s=300, care_interval_s=3600)
        assert await tick(pool, broker, schedule) == Tick(polls=1, chunks=1)
        assert await tick(pool, broker, schedule) == Tick(), "claimed: not sent twice"
    finally:
        broker.close()
        await pool.close()

    onboarding = _queued(redis_client, "onboarding")
    chunks = _queued(redis_client, "chunks")
    polls = [m for m in onboarding if b'"poll_org"' in m]
    assert len(polls) == 1
    assert f"[{synced},false]".encode() in polls[0]
    # its webhook subscriptions are looked after, on their own (hourly) clock (issue 21)
    cares = [m for m in onboarding if b'"care_webhooks"' in m]
    assert len(cares) == 1
    assert f"[{synced}]".encode() in cares[0]
    assert len(onboarding) == 2
    assert len(chunks) == 1
    assert f"[{lost}]".encode() in chunks[0]
    due = await pg.fetchrow("SELECT * FROM freshness WHERE org_id = $1", synced)
    assert due["poll_due_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=800)
    assert due["nightly_due_at"] > dt.datetime.now(dt.UTC), "its first night is set, ahead"
    assert due["care_due_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3500)


async def test_polls_follow_the_webhooks_interval_and_nightly_passes_come_when_due(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    polled = await _org(pg, "Polled AS", "synced")
    hooked = await _org(pg, "Hooked AS", "synced")
    half_hooked = await _org(pg, "Half AS", "synced")
    await pg.execute("UPDATE organizations SET updated_at = now() - interval '30 minutes'")
    for org_id, events in ((hooked, 3), (half_hooked, 2)):
        for n, event in enumerate(("voucher.create", "voucher.update", "voucher.delete")[:events]):
            await pg.execute(
                "INSERT INTO webhook_subscriptions (org_id, company_id, event, hook_key,"
                " secret_encrypted, status) VALUES ($1, 1, $2, $3, '\\x00', 'active')",
                org_id,
                event,
                f"key-{org_id}-{n}",
            )
    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    schedule = Schedule(poll_interval_s=900, webhook_poll_interval_s=3600, requeue_after_s=300)
    try:
        assert await tick(pool, broker, schedule) == Tick(polls=2)
        assert sorted(a for actor, a in _sent(redis_client) if actor == "poll_org") == sorted(
            [[polled, False], [half_hooked, False]]
        ), "webhooks for every voucher event: polled hourly, not yet"
        cared = [a for actor, a in _sent(redis_client) if actor == "care_webhooks"]
        assert cared == [], "no webhooks configured: nothing to care for"
        redis_client.flushdb()
        await pg.execute(
            "UPDATE freshness SET nightly_due_at = now() - interval '1 second' WHERE org_id = $1",
            hooked,
        )
        assert await tick(pool, broker, schedule) == Tick(nightly=1)
        assert _sent(redis_client) == [("poll_org", [hooked, True])]
        assert await tick(pool, broker, schedule) == Tick(), "claimed: the next night is set"
    finally:
        broker.close()
        await pool.close()
    nights = await pg.fetch("SELECT org_id, nightly_due_at FROM freshness ORDER BY org_id")
    assert all(r["nightly_due_at"] > dt.datetime.now(dt.UTC) for r in nights)


def _sent(client: redis.Redis) -> list[tuple[str, list[object]]]:
    """(actor, args) of every message waiting in the queues."""
    import json

    found = []
    for queue in ("onboarding", "chunks"):
        for raw in _queued(client, queue):
            message = json.loads(raw)
            found.append((message["actor_name"], message["args"]))
    return sorted(found, key=repr)


async def _org(pg: asyncpg.Connection, name: str, state: str, *, company: int | None = 1) -> int:
    org_id: int = await pg.fetchval(Q["org_insert"], name, "api", "tripletex", state)
    await pg.execute(
        "UPDATE organizations SET company_id = $2, updated_at = now() - interval '1 hour'"
        " WHERE id = $1",
        org_id,
        company,
    )
    return org_id


async def _year(pg: asyncpg.Connection, org_id: int, year: int, state: str, *chunks: str) -> None:
    """A year started an hour ago, with one chunk per month in the given states."""
    await pg.execute(
        "INSERT INTO sync_years (org_id, year, state, started_at, finished_at)"
        " VALUES ($1, $2, $3, now() - interval '1 hour', now() - interval '1 hour')",
        org_id,
        year,
        state,
    )
    for month, chunk_state in enumerate(chunks, start=1):
        start = dt.date(year, month, 1)
        chunk_id = await pg.fetchval(
            Q["chunk_insert"], org_id, year, start, start + dt.timedelta(days=28), 1, None, None
        )
        await pg.execute("UPDATE chunks SET state = $2 WHERE id = $1", chunk_id, chunk_state)


async def test_lost_onboarding_steps_are_found_in_postgres_and_sent_once(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    validating = await _org(pg, "Validating AS", "validating", company=None)
    unplanned = await _org(pg, "Unplanned AS", "syncing")  # plan_sync lost before any year
    busy = await _org(pg, "Busy AS", "syncing")
    await _year(pg, busy, 2021, "importing")  # planning died: no chunk
    await _year(pg, busy, 2022, "importing", "done", "split", "failed")  # never closed
    await _year(pg, busy, 2023, "reconciling", "done")  # reconcile_year lost
    await _year(pg, busy, 2024, "importing", "done", "running")  # under way: left alone
    stalled = await _org(pg, "Stalled AS", "syncing")
    await _year(pg, stalled, 2024, "importing", "done", "pending", "pending")
    cancelled = await _org(pg, "Cancelled AS", "syncing")
    await pg.execute("UPDATE organizations SET cancel_requested = true WHERE id = $1", cancelled)
    await _year(pg, cancelled, 2024, "importing", "pending")
    attention = await _org(pg, "Attention AS", "needs_attention")
    await _year(pg, attention, 2024, "importing", "pending")

    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    try:
        schedule = Schedule(requeue_after_s=60)
        assert await tick(pool, broker, schedule) == Tick(steps=5, dispatched=1)
        assert await tick(pool, broker, schedule) == Tick(), "claimed: not sent twice"
    finally:
        broker.close()
        await pool.close()

    stalled_chunks = await pg.fetch(
        "SELECT id FROM chunks WHERE org_id = $1 AND state = 'queued' ORDER BY id", stalled
    )
    assert len(stalled_chunks) == 2
    assert _sent(redis_client) == sorted(
        [
            ("validate_token", [validating]),
            ("plan_sync", [unplanned]),
            ("plan_sync", [busy, 2021]),
            ("reconcile_year", [busy, 2022]),
            ("reconcile_year", [busy, 2023]),
            *[("import_chunk", [r["id"]]) for r in stalled_chunks],
        ],
        key=repr,
    )
    closed = await pg.fetchval(
        "SELECT state FROM sync_years WHERE org_id = $1 AND year = 2022", busy
    )
    assert closed == "reconciling"


async def test_recent_work_is_not_sent_again(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    await pg.fetchval(Q["org_insert"], "Validating AS", "api", "tripletex", "validating")
    busy = await _org(pg, "Busy AS", "syncing")
    await _year(pg, busy, 2023, "reconciling", "done")
    await _year(pg, busy, 2022, "importing")
    await pg.execute("UPDATE sync_years SET started_at = now(), finished_at = now()")

    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    try:
        assert await tick(pool, broker, Schedule(requeue_after_s=60)) == Tick()
    finally:
        broker.close()
        await pool.close()
    assert _sent(redis_client) == []


async def test_the_scheduler_outlives_a_failed_tick(
    database_url: str, pg: asyncpg.Connection
) -> None:
    from structlog.testing import capture_logs

    from shared.embedded import free_port
    from worker.sync.scheduler import run

    await pg.fetchval(Q["org_insert"], "Validating AS", "api", "tripletex", "validating")
    await pg.execute("UPDATE organizations SET updated_at = now() - interval '1 hour'")
    pool = await create_pool(database_url, max_size=2)
    broker = sender(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens: every send fails
    schedule = Schedule(requeue_after_s=0, tick_s=0.05)
    try:
        with capture_logs() as logs:
            running = asyncio.create_task(run(pool, broker, schedule))

            def failures() -> int:
                return sum(e["event"] == "scheduler_tick_failed" for e in logs)

            deadline = asyncio.get_running_loop().time() + 30
            while failures() < 3 and not running.done():
                assert asyncio.get_running_loop().time() < deadline, "no tick failed"
                await asyncio.sleep(0.05)
            assert not running.done(), "the scheduler ended with its first failed tick"
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
    finally:
        broker.close()
        await pool.close()


async def test_a_tick_stuck_on_a_lock_is_given_up_and_the_work_sent_once_it_goes(
    database_url: str, redis_client: redis.Redis, redis_url: str, pg: asyncpg.Connection
) -> None:
    from structlog.testing import capture_logs

    from worker.sync.scheduler import run

    org_id = await pg.fetchval(Q["org_insert"], "Validating AS", "api", "tripletex", "validating")
    await pg.execute("UPDATE organizations SET updated_at = now() - interval '1 hour'")
    holder = await asyncpg.connect(database_url)
    locked = holder.transaction()
    await locked.start()
    await holder.execute("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", org_id)
    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    schedule = Schedule(requeue_after_s=0, tick_s=0.05, tick_deadline_s=0.5)
    try:
        with capture_logs() as logs:
            running = asyncio.create_task(run(pool, broker, schedule))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while not any(e.get("error") == "TimeoutError" for e in logs):
                assert loop.time() < deadline, "the stuck tick never ended"
                assert not running.done(), "the scheduler ended"
                await asyncio.sleep(0.05)
            assert _sent(redis_client) == [], "sent while the row was locked"
            await locked.rollback()
            while not _sent(redis_client):
                assert loop.time() < deadline, "the work was never sent after the lock went"
                await asyncio.sleep(0.05)
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
    finally:
        await holder.close()
        broker.close()
        await pool.close()
    assert ("validate_token", [org_id]) in _sent(redis_client)
