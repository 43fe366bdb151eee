"""Graceful stop: on SIGTERM a worker finishes what it holds, or hands it back.

Dramatiq lets the actors in flight run to the end before a worker process exits, and puts the
messages it fetched but did not start back in their queues. An import may wait minutes on a rate
limit, though, and platforms kill a stopping process after some seconds. So the actors in flight
get a grace period; then they are cancelled, and each hands back what it holds: a chunk gives up
its lease, and the actor's message is sent again, for another worker to take at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

logger = structlog.get_logger(__name__)


class InFlight:
    """The actors running on one worker process's event loop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stopping = False

    async def run(
        self, work: Callable[[], Awaitable[None]], hand_back: Callable[[], object]
    ) -> None:
        """Run one actor's work; stopped before or during it, call `hand_back` instead."""
        if self.stopping:
            hand_back()
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await work()
        except asyncio.CancelledError:
            if not self.stopping:
                raise
            hand_back()
            task.uncancel()  # handed back: the message is done with, and acknowledged
            logger.info("handed_back")
        finally:
            self._tasks.discard(task)

    async def stop(self, grace_s: float) -> int:
        """Let the actors in flight finish within `grace_s`, then cancel them; how many were."""
        self.stopping = True
        if self._tasks:
            logger.info("stopping", in_flight=len(self._tasks), grace_s=grace_s)
            await asyncio.wait(set(self._tasks), timeout=grace_s)
        cancelled = list(self._tasks)
        for task in cancelled:
            task.cancel()
        if cancelled:
            await asyncio.wait(cancelled)
        return len(cancelled)
