"""Dramatiq middleware: per-process resources, log context per message, failures by cause."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError, Retries

from shared.config import Settings
from worker import failures
from worker.resources import Resources, WorkerOptions, current, install
from worker.retry_policy import Cause, RetryPolicy
from worker.sync import settlement

#: seconds a worker thread waits for a failure to be recorded before going on without it
RECORD_TIMEOUT_S = 30.0

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
                    self.settings,
                    pool_size=self.options.threads + 2,
                    options=self.options,
                    worker_id=getattr(broker, "broker_id", None),
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


class JobFailures(Retries):
    """Dramatiq's Retries, by cause, with every failure kept in Postgres (it replaces Retries).

    A failed attempt is recorded before its retry is enqueued, so a quick retry's success always
    finds the row to resolve. Rate limits are re-enqueued without using up a retry. Recording
    never takes the worker down: if Postgres is away, the retry policy still applies.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__(max_retries=policy.transient_retries)
        self.policy = policy

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None:
            self._run(lambda: failures.resolve(current(), message.actor_name, message.args))
            return
        retries = message.options.get("retries", 0)
        decision = self.policy.decide(exception, retries)
        # a rate limit is pacing, not failure: neither counted nor kept
        if decision.cause is not Cause.RATE_LIMITED:
            failure = failures.Failure.of(
                message.actor_name, message.args, message.message_id, exception, decision
            )
            self._run(lambda: settlement.record_and_settle(current(), failure))
            message.options["retries"] = retries + 1
        if decision.retry:
            logger.info("job_retry", delay_ms=decision.delay_ms, cause=decision.cause)
            broker.enqueue(message, delay=decision.delay_ms)
        else:
            message.fail()

    def _run(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` on the event loop, logging (never raising) what goes wrong."""
        loop = get_event_loop_thread()
        try:
            assert loop is not None, "add JobFailures after AsyncIO"
            loop.run_coroutine(asyncio.wait_for(work(), RECORD_TIMEOUT_S))
        except Exception:
            logger.exception("job_record_failed")
