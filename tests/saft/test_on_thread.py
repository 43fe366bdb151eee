"""`pump`: a generator on a thread of its own, feeding an async consumer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from worker.saft.on_thread import pump


class Boom(Exception):
    """A failure planted in a test."""


def counting(seen: list[str], upto: int, fail_at: int | None = None) -> Iterator[int]:
    """0..upto-1, noting which thread makes, advances and closes it."""
    seen.append(f"made on {threading.current_thread().name}")
    try:
        for n in range(upto):
            if n == fail_at:
                raise Boom(f"failed at {n}")
            yield n
    finally:
        seen.append(f"closed on {threading.current_thread().name}")


async def test_every_item_reaches_the_consumer_in_order_from_one_other_thread() -> None:
    seen: list[str] = []
    got: list[int] = []

    async def consume(n: int) -> None:
        got.append(n)

    await pump(lambda: counting(seen, 50), consume, name="reader")
    assert got == list(range(50))
    assert seen == ["made on reader", "closed on reader"]


async def test_a_producer_error_is_raised_to_the_consumer() -> None:
    seen: list[str] = []
    got: list[int] = []

    async def consume(n: int) -> None:
        got.append(n)

    with pytest.raises(Boom, match="failed at 7"):
        await pump(lambda: counting(seen, 50, fail_at=7), consume, name="reader")
    assert got == list(range(7))
    assert seen[-1] == "closed on reader"


async def test_a_consumer_error_stops_the_producer_on_its_thread_first() -> None:
    seen: list[str] = []

    async def consume(n: int) -> None:
        if n == 3:
            raise Boom("consumer gave up")

    with pytest.raises(Boom, match="consumer gave up"):
        await pump(lambda: counting(seen, 10_000), consume, name="reader")
    assert seen == ["made on reader", "closed on reader"], "closed before pump returned"
