"""The worker line's pure parts, and handing back what a dead worker held (real Redis)."""

from __future__ import annotations

import signal

import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message

from worker.line import HEARTBEATS, exit_text, hand_back, restart_pause


def test_a_slot_that_keeps_dying_waits_longer_each_time_up_to_a_minute() -> None:
    assert [restart_pause(n) for n in range(10)] == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_an_exit_status_reads_as_words() -> None:
    assert exit_text(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_text(70) == "exit code 70"


def test_a_dead_workers_unacknowledged_messages_go_back_on_their_queues(
    redis_url: str, redis_client: redis.Redis
) -> None:
    broker = RedisBroker(url=redis_url, middleware=[])  # type: ignore[no-untyped-call]
    broker.declare_queue("chunks")
    for n in (1, 2):
        broker.enqueue(Message("chunks", "import_chunk", (n,), {}, {}))
    consumer = broker.consume("chunks", prefetch=2, timeout=100)
    taken = [next(consumer), next(consumer)]
    assert all(taken), "the dead worker held both"
    assert redis_client.llen("dramatiq:chunks") == 0

    assert hand_back(redis_client, broker.broker_id) == 2

    assert redis_client.llen("dramatiq:chunks") == 2
    assert redis_client.zscore(HEARTBEATS, broker.broker_id) is None, "it is alive no more"
    assert not redis_client.keys(f"dramatiq:__acks__.{broker.broker_id}.*")
    assert hand_back(redis_client, broker.broker_id) == 0, "twice is once"
    broker.close()
