"""Handing back what dead worker processes held, on real Redis: one slot's at once, and every
silent worker's once its heartbeat timed out."""

from __future__ import annotations

import time

import redis
import redis.asyncio as aioredis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message

from shared.queue import HEARTBEAT_TIMEOUT_MS, HEARTBEATS, send, sender
from worker.takeover import hand_back, take_over_dead


def holding(redis_url: str, *chunk_ids: int) -> RedisBroker:
    """A worker's broker that fetched (and so holds, unacknowledged) one message per chunk."""
    broker = RedisBroker(url=redis_url, middleware=[])  # type: ignore[no-untyped-call]
    broker.declare_queue("chunks")
    for n in chunk_ids:
        broker.enqueue(Message("chunks", "import_chunk", (n,), {}, {}))
    consumer = broker.consume("chunks", prefetch=len(chunk_ids), timeout=100)
    assert all(next(consumer) for _ in chunk_ids), "the worker took them all"
    return broker


def test_a_dead_workers_unacknowledged_messages_go_back_on_their_queues(
    redis_url: str, redis_client: redis.Redis
) -> None:
    broker = holding(redis_url, 1, 2)
    assert redis_client.llen("dramatiq:chunks") == 0

    assert hand_back(redis_client, broker.broker_id) == 2

    assert redis_client.llen("dramatiq:chunks") == 2
    assert redis_client.zscore(HEARTBEATS, broker.broker_id) is None, "it is alive no more"
    assert not redis_client.keys(f"dramatiq:__acks__.{broker.broker_id}.*")
    assert hand_back(redis_client, broker.broker_id) == 0, "twice is once"
    broker.close()


async def test_what_a_silent_worker_held_is_taken_over_and_a_living_ones_is_not(
    redis_url: str, redis_client: redis.Redis
) -> None:
    dead, alive = holding(redis_url, 1, 2), holding(redis_url, 3)
    quiet_sender = sender(redis_url)
    send(quiet_sender, "validate_token", 9)
    redis_client.lpop("dramatiq:onboarding")  # (taken by nobody: only the sender's beat matters)
    now_ms = time.time() * 1000
    silent_since = now_ms - HEARTBEAT_TIMEOUT_MS - 1
    redis_client.zadd(HEARTBEATS, {dead.broker_id: silent_since, quiet_sender.broker_id: 0})
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await take_over_dead(client, now_ms=now_ms) == {dead.broker_id: 2}
        assert await take_over_dead(client, now_ms=now_ms) == {}, "twice is once"
    finally:
        await client.aclose()

    assert redis_client.llen("dramatiq:chunks") == 2, "the dead worker's two, not the living one's"
    assert redis_client.zscore(HEARTBEATS, dead.broker_id) is None
    assert redis_client.scard(f"dramatiq:__acks__.{alive.broker_id}.chunks") == 1
    assert redis_client.zscore(HEARTBEATS, quiet_sender.broker_id) is not None, "senders are left"
    for broker in (dead, alive, quiet_sender):
        broker.close()
