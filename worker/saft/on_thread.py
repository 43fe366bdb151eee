"""Run a generator on a thread of its own, a few items ahead of an async consumer.

The generator is made, advanced and closed on that one thread, so objects that must stay on
the thread that made them (lxml's parsed elements) never leave it; the event loop stays free
while it works, and the consumer's awaits (a COPY into Postgres) overlap with it.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

T = TypeVar("T")
#: seconds between the producer's looks at whether the consumer stopped
POLL_S = 0.1
_DONE = object()


async def pump(
    make: Callable[[], Iterator[T]],
    consume: Callable[[T], Awaitable[None]],
    *,
    ahead: int = 1,
    name: str = "producer",
) -> None:
    """Await `consume(item)` for every item `make()` yields; its errors are raised here.

    When `consume` raises, the producer is stopped (the generator closed on its thread) before
    the error goes on.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue(maxsize=ahead)
    stop = threading.Event()
    thread = threading.Thread(
        target=_produce, args=(make, queue, loop, stop), name=name, daemon=True
    )
    thread.start()
    try:
        while True:
            ok, item = await queue.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            await consume(item)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)


def _produce(
    make: Callable[[], Iterator[Any]],
    queue: asyncio.Queue[tuple[bool, Any]],
    loop: asyncio.AbstractEventLoop,
    stop: threading.Event,
) -> None:
    outcome: tuple[bool, Any] = (True, _DONE)
    items = None
    try:
        items = make()
        for item in items:
            if not _put(queue, loop, stop, (True, item)):
                return
    except Exception as exc:
        outcome = (False, exc)
    finally:
        if items is not None and hasattr(items, "close"):
            items.close()
        del items
        gc.collect()  # cycles holding this thread's objects go now, on this thread
    _put(queue, loop, stop, outcome)


def _put(
    queue: asyncio.Queue[tuple[bool, Any]],
    loop: asyncio.AbstractEventLoop,
    stop: threading.Event,
    item: tuple[bool, Any],
) -> bool:
    """Put on the loop's queue, waiting while it is full; False when the consumer stopped."""
    if stop.is_set():
        return False
    future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
    while True:
        try:
            future.result(timeout=POLL_S)
        except FutureTimeout:
            if stop.is_set():
                future.cancel()
                return False
        else:
            return True
