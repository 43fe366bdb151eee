"""Driving the terminal UI in tests: wait for what the screen should come to show."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

#: how long a UI test waits for something the workers do
WORKERS_S = 120.0


async def until(pilot: Pilot[Any], what: str, ok: Callable[[], bool], within: float = 10.0) -> None:
    """Let the app run until `ok()` holds; fail naming `what` after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not ok():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)
