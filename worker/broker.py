"""The Redis broker with the worker's middleware."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Retries, default_middleware

from shared.config import Settings
from shared.queue import HEARTBEAT_TIMEOUT_MS
from worker.middleware import JobFailures, LogContext, ResourcesMiddleware
from worker.naming import WorkerNaming
from worker.redis_watch import RedisWatch
from worker.resources import WorkerOptions
from worker.retry_policy import RetryPolicy


def build_broker(
    settings: Settings, options: WorkerOptions | None = None, *, policy: RetryPolicy | None = None
) -> RedisBroker:
    """The broker from LEDGERSYNC_REDIS_URL with our middleware (retries by cause); set global."""
    settings.require("redis_url")
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url,
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        middleware=[m() for m in default_middleware if m is not Retries],
    )
    broker.add_middleware(AsyncIO())
    options = options or WorkerOptions()
    broker.add_middleware(ResourcesMiddleware(settings, options), after=AsyncIO)
    broker.add_middleware(LogContext())
    broker.add_middleware(WorkerNaming())
    broker.add_middleware(RedisWatch(settings.redis_url or ""))
    broker.add_middleware(JobFailures(policy or RetryPolicy()))  # last: its after_* runs first
    dramatiq.set_broker(broker)
    return broker
