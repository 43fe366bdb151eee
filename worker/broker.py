"""The Redis broker with the worker's middleware."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO

from shared.config import Settings
from worker.middleware import LogContext, ResourcesMiddleware
from worker.resources import WorkerOptions

#: seconds a worker may go silent before Redis hands its unacknowledged messages to others
HEARTBEAT_TIMEOUT_MS = 60_000


def build_broker(settings: Settings, options: WorkerOptions | None = None) -> RedisBroker:
    """The broker from LEDGERSYNC_REDIS_URL, with AsyncIO, resources and log context; set global."""
    settings.require("redis_url")
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url, heartbeat_timeout=HEARTBEAT_TIMEOUT_MS
    )
    broker.add_middleware(AsyncIO())
    options = options or WorkerOptions()
    broker.add_middleware(ResourcesMiddleware(settings, options), after=AsyncIO)
    broker.add_middleware(LogContext())
    dramatiq.set_broker(broker)
    return broker
