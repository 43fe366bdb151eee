"""A worker that loses Redis says so once per back-off step, and resumes by itself.

Dramatiq's consumers, one per queue and one per delay queue, each log two lines every three
seconds while Redis is away. `RedisWatch` takes those lines over: it silences them, pauses the
consumers, and checks Redis itself on a growing back-off (1 s, 2 s, ... up to a minute), with one
log line per step; once Redis answers, the consumers resume.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.middleware import Middleware

#: seconds between checks while Redis is away: doubling from the first to the last
FIRST_STEP_S = 1.0
LAST_STEP_S = 60.0
#: seconds a single check may take (a Redis that accepts and never answers)
CHECK_TIMEOUT_S = 2.0
#: what Dramatiq logs, per queue, while its broker connection is down
DRAMATIQ_CONNECTION_LINES = (
    "Consumer encountered a connection error",
    "Restarting consumer in",
    "due to a connection error",
)

logger = structlog.get_logger(__name__)


def backoff_steps(first: float = FIRST_STEP_S, last: float = LAST_STEP_S) -> Iterator[float]:
    """Seconds to wait before each next check: doubling from `first`, then `last` for good."""
    step = first
    while True:
        yield step
        step = min(step * 2, last)


def redis_address(url: str) -> str:
    """host:port/db of a Redis URL, without any password."""
    kwargs = redis.connection.parse_url(url)  # type: ignore[no-untyped-call]
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


class ConnectionLines(logging.Filter):
    """Drops Dramatiq's per-queue connection-error lines and reports them to the watch."""

    def __init__(self, trouble: threading.Event) -> None:
        super().__init__()
        self.trouble = trouble

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if any(line in text for line in DRAMATIQ_CONNECTION_LINES):
            self.trouble.set()
            return False
        return True


class RedisWatch(Middleware):
    """Pauses the consumers while Redis is away, checking it on a back-off, one line a step."""

    def __init__(self, url: str, *, steps: Iterator[float] | None = None) -> None:
        self.url = url
        self.address = redis_address(url)
        self.trouble = threading.Event()
        self.stopping = threading.Event()
        self._steps = steps
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        lines = ConnectionLines(self.trouble)
        threads: list[Any] = [*worker.consumers.values(), *worker.workers]
        for thread in threads:
            thread.logger.addFilter(lines)
        self._thread = threading.Thread(
            target=self._watch, args=(worker,), name="redis-watch", daemon=True
        )
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.stopping.set()
        self.trouble.set()

    def _watch(self, worker: dramatiq.Worker) -> None:
        client = redis.Redis.from_url(
            self.url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S
        )
        while not self.stopping.is_set():
            self.trouble.wait()
            if self.stopping.is_set():
                return
            self.trouble.clear()
            if not _answers(client):
                self._wait_for_redis(worker, client)

    def _wait_for_redis(self, worker: dramatiq.Worker, client: redis.Redis) -> None:
        """Consumers paused, one line per step, until Redis answers (or the worker stops)."""
        lost_at = time.monotonic()
        consumers: list[Any] = list(worker.consumers.values())
        for consumer in consumers:
            consumer.pause()
        for step in self._steps or backoff_steps():
            logger.warning(
                "redis_unreachable",
                redis=self.address,
                next_check_in_s=step,
                message=f"Cannot reach Redis at {self.address}; consumers paused, "
                f"checking again in {step:g} s.",
            )
            if self.stopping.wait(step):
                return
            if _answers(client):
                break
        for consumer in consumers:
            consumer.resume()
        self.trouble.clear()
        logger.warning(
            "redis_reachable",
            redis=self.address,
            away_s=round(time.monotonic() - lost_at, 1),
            message=f"Redis at {self.address} answers again; consumers resumed.",
        )


def _answers(client: redis.Redis) -> bool:
    """Whether Redis answers a PING within the check timeout."""
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
