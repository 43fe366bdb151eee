"""Dramatiq middleware: per-process resources, and log context per message."""

from __future__ import annotations

import asyncio
from typing import Any

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError

from shared.config import Settings
from worker.resources import Resources, WorkerOptions, install

logger = structlog.get_logger(__name__)


class ResourcesFailed(MiddlewareError):
    """Opening the worker's resources failed (Dramatiq stops the boot only for this kind)."""


class ResourcesMiddleware(Middleware):
    """Opens `Resources` on the event-loop thread at boot and closes them at shutdown."""

    def __init__(self, settings: Settings, options: WorkerOptions) -> None:
        self.settings = settings
        self.options = options
        self.resources: Resources | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop = get_event_loop_thread()
        assert loop is not None, "add ResourcesMiddleware after AsyncIO"
        try:
            self.resources = loop.run_coroutine(
                Resources.open(
                    self.settings, pool_size=self.options.threads + 2, options=self.options
                )
            )
        except Exception as exc:
            # the event loop's thread would keep the failed process alive, hung, forever
            loop.stop()  # type: ignore[no-untyped-call]
            raise ResourcesFailed(str(exc)) from exc
        install(self.resources)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        """Give the actors in flight their grace period, then hand back what they hold."""
        loop = get_event_loop_thread()
        if self.resources is not None and loop is not None:
            stop = self.resources.in_flight.stop(self.options.grace_s)
            asyncio.run_coroutine_threadsafe(stop, loop.loop)  # Dramatiq waits for the actors

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop = get_event_loop_thread()
        if self.resources is not None and loop is not None:
            loop.run_coroutine(self.resources.close())
        install(None)


class LogContext(Middleware):
    """Binds message id, actor and retries to every log line of a message's processing."""

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        structlog.contextvars.bind_contextvars(
            message_id=message.message_id,
            actor=message.actor_name,
            retries=message.options.get("retries", 0),
        )

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        structlog.contextvars.clear_contextvars()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        structlog.contextvars.clear_contextvars()
