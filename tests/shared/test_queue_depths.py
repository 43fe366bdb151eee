"""Queue depths read as Dramatiq's RedisBroker stores them, and dead letters that follow the
jobs (issue 18): a pending retry counts as delayed (no WRONGTYPE), a retried or resolved job's
dead letter leaves the dead count."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import asyncpg
import pytest
import redis
from cockpit_seed import dead_letter, failed_job, pending_retry, stopped, take
from dramatiq.brokers.redis import RedisBroker

from shared import jobs
from shared.db import create_pool
from shared.jobs import StopReason
from shared.queue import send, sender
from shared.status import queue_depths
from worker import failures


@pytest.fixture
def broker(redis_url: str) -> Iterator[RedisBroker]:
    built = sender(redis_url)
    yield built
    built.close()


def depth(client: redis.Redis, queue: str) -> dict[str, int]:
    """One queue's figures from `queue_depths`, without its name."""
    found = {q["name"]: q for q in queue_depths(client)}[queue]
    return {key: found[key] for key in ("depth", "delayed", "dead")}


def test_a_pending_retry_is_delayed_and_read_without_error(
    redis_url: str, redis_client: redis.Redis, broker: RedisBroker
) -> None:
    # Given a retry waiting in Dramatiq's delay queue, as its RedisBroker enqueues one
    pending_retry(redis_url, "import_chunk", 41)
    assert redis_client.type("dramatiq:chunks.DQ") == b"list", "Dramatiq's delay queue is a list"
    # and one message ready on another queue
    send(broker, "plan_sync", 7, None)
    # Then it reads as delayed, the ready one as waiting, nothing dead
    assert depth(redis_client, "chunks") == {"depth": 0, "delayed": 1, "dead": 0}
    assert depth(redis_client, "onboarding") == {"depth": 1, "delayed": 0, "dead": 0}


def test_a_retry_a_worker_holds_until_its_eta_is_still_delayed(
    redis_url: str, redis_client: redis.Redis
) -> None:
    # Given a worker has fetched the delayed message (Dramatiq keeps it in memory until its
    # eta: it is off the list, still in the delay queue's hash)
    pending_retry(redis_url, "import_chunk", 42)
    taker, consumer, _ = take(redis_url, "chunks.DQ")
    try:
        assert redis_client.llen("dramatiq:chunks.DQ") == 0
        # Then it is still counted as delayed
        assert depth(redis_client, "chunks")["delayed"] == 1
    finally:
        consumer.close()
        taker.close()


async def test_retrying_a_dead_job_takes_its_letter_off_the_dead_count(
    pg: asyncpg.Connection, redis_url: str, redis_client: redis.Redis, broker: RedisBroker
) -> None:
    # Given two jobs failed for good, each with its dead letter in Dramatiq's XQ
    first = dead_letter(redis_url, "plan_sync", 1, None)
    second = dead_letter(redis_url, "plan_sync", 2, None)
    retried = await failed_job(pg, stopped("plan_sync", [1, None], message_id=first))
    await failed_job(pg, stopped("plan_sync", [2, None], message_id=second))
    assert depth(redis_client, "onboarding") == {"depth": 0, "delayed": 0, "dead": 2}
    # When an operator retries one
    assert await jobs.retry_jobs(pg, broker, jobs.RetryScope((retried,)), actor="op") == [retried]
    # Then its letter is gone (the other stays), and its new message waits
    assert depth(redis_client, "onboarding") == {"depth": 1, "delayed": 0, "dead": 1}
    assert redis_client.hlen("dramatiq:onboarding.XQ.msgs") == 1


async def test_a_job_resolved_by_a_later_success_leaves_the_dead_count(
    pg: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    redis_client: redis.Redis,
    broker: RedisBroker,
) -> None:
    message_id = dead_letter(redis_url, "plan_sync", 3, None)
    job_id = await failed_job(pg, stopped("plan_sync", [3, None], message_id=message_id))
    assert depth(redis_client, "onboarding")["dead"] == 1
    # When the same job succeeds later (a new message, as a re-sync sends it)
    pool = await create_pool(database_url, min_size=1, max_size=1)
    resources = SimpleNamespace(pool=pool, broker=broker)  # the parts of Resources it uses
    try:
        await failures.resolve(resources, "plan_sync", [3, None])  # type: ignore[arg-type]
    finally:
        await pool.close()
    # Then the job is resolved and its dead letter gone
    assert (await jobs.get_job(pg, job_id)).state == "resolved"  # type: ignore[union-attr]
    assert depth(redis_client, "onboarding")["dead"] == 0


async def test_retry_all_leaves_permanent_failures_unless_asked(
    pg: asyncpg.Connection, broker: RedisBroker
) -> None:
    transient = await failed_job(pg, stopped("plan_sync", [4, None]))
    revoked = await failed_job(
        pg,
        stopped(
            "validate_token", [4], stop_reason=StopReason.PERMANENT, error="Token revoked (401)"
        ),
    )
    assert await jobs.failed_ids(pg) == jobs.FailedIds((transient,), (revoked,))
    assert await jobs.retry_jobs(pg, broker, jobs.RetryScope(), actor="op") == [transient]
    assert (await jobs.get_job(pg, revoked)).state == "failed"  # type: ignore[union-attr]
    everyone = jobs.RetryScope(include_permanent=True)
    assert await jobs.retry_jobs(pg, broker, everyone, actor="op") == [revoked]
