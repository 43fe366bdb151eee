"""The worker line's pure parts, and what it hands back of a slot that ends (real Redis)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import redis

from shared.queue import send, sender
from worker.line import WORKER_ID_ENV, Line, exit_text, restart_pause

#: a slot's process that takes one chunk message and holds it, unacknowledged, until killed
HOLDER = f"""
import os, time
from dramatiq.brokers.redis import RedisBroker
broker = RedisBroker(url=os.environ["LEDGERSYNC_REDIS_URL"], middleware=[])
broker.broker_id = os.environ["{WORKER_ID_ENV}"]
consumer = broker.consume("chunks", prefetch=1, timeout=100)
while next(consumer) is None:
    pass
time.sleep(600)
"""


def test_a_slot_that_keeps_dying_waits_longer_each_time_up_to_a_minute() -> None:
    assert [restart_pause(n) for n in range(10)] == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_an_exit_status_reads_as_words() -> None:
    assert exit_text(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_text(70) == "exit code 70"


def test_a_slot_that_ends_holding_messages_while_the_line_stops_hands_them_back(
    redis_url: str, redis_client: redis.Redis
) -> None:
    broker = sender(redis_url)
    send(broker, "import_chunk", 1)
    broker.close()
    line = Line.of(
        [sys.executable, "-c", HOLDER], {**os.environ, "LEDGERSYNC_REDIS_URL": redis_url}, 1
    )
    running = threading.Thread(target=line.run)
    running.start()
    try:
        deadline = time.monotonic() + 30
        [slot] = line.slots
        while not redis_client.scard(f"dramatiq:__acks__.{slot.worker_id}.chunks"):
            assert time.monotonic() < deadline, "the slot never took the message"
            time.sleep(0.05)
        assert redis_client.llen("dramatiq:chunks") == 0
    finally:
        # the stop kills it (it has no handler): as if it died by itself just before the stop
        line.stop(signal.SIGTERM)
        running.join(30)
    assert not running.is_alive()
    assert slot.exit_code == -signal.SIGTERM
    assert redis_client.llen("dramatiq:chunks") == 1, "its message is back on its queue"
    assert not redis_client.keys(f"dramatiq:__acks__.{slot.worker_id}.*")
