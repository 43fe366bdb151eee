"""Who counts as a worker: Dramatiq records a heartbeat for every broker that sends, too."""

from __future__ import annotations

import redis

from shared.queue import send, sender
from shared.status import workers


def test_a_command_that_sends_a_message_is_not_counted_as_a_worker(
    redis_url: str, redis_client: redis.Redis
) -> None:
    broker = sender(redis_url)
    try:
        send(broker, "validate_token", 1)
    finally:
        broker.close()
    beats = redis_client.zrange("dramatiq:__heartbeats__", 0, -1)
    assert [b.decode() for b in beats] == [broker.broker_id], "Dramatiq saw the sender"
    assert workers(redis_client) == []
