"""How fast the UI answers a key while it refreshes: Pilot presses j/k against the real source."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field

from textual.pilot import Pilot

from bench.tui_world import churn
from shared.config import Settings
from tui.app import LedgersyncApp
from tui.pg_source import PgSource
from tui.views import Overview
from tui.widgets.org_table import OrgTable

#: Pilot's `press` returns once the App is idle; the time that counts is until the cursor moved
#: (the next frame shows it).
#: seconds between two steps of imports going on (a few hundred chunks finishing each second)
CHURN_S = 0.2
SIZE = (160, 45)


@dataclass
class Latency:
    """Seconds from each key press until the cursor moved; the refreshes meanwhile."""

    moved: list[float] = field(default_factory=list)
    refreshes: int = 0


class CountingSource(PgSource):
    """The real source, counting home refreshes and saying when one has been read."""

    refreshes = 0

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.read = asyncio.Event()

    async def overview(self) -> Overview:
        """Count, read, tell."""
        self.refreshes += 1
        found = await super().overview()
        self.read.set()
        return found


async def key_latency(url: str, redis_url: str, presses: int, refresh_s: float | None) -> Latency:
    """Key presses timed until the cursor moved, the UI refreshing every `refresh_s` seconds.

    `refresh_s` None: each key is pressed the moment a refresh has been read, while the UI
    applies it (the worst time to press a key).
    """
    environ = {**os.environ, "LEDGERSYNC_DATABASE_URL": url, "LEDGERSYNC_REDIS_URL": redis_url}
    source = CountingSource(Settings.from_env(environ))
    app = LedgersyncApp(source, refresh_s=refresh_s or 3600)
    going = asyncio.create_task(churn(url, CHURN_S))
    latency = Latency()
    try:
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one(OrgTable)
            while table.row_count == 0:
                await pilot.pause(0.05)
            moved = asyncio.Event()
            app.screen.watch(table, "cursor_coordinate", moved.set, init=False)
            before = source.refreshes
            for n in range(presses):
                if refresh_s is None:
                    source.read.clear()
                    app.tick()
                    await source.read.wait()
                else:
                    await asyncio.sleep(0.05)  # like a person: keys apart, refreshes between
                await _press(pilot, moved, "j" if (n // 25) % 2 == 0 else "k", latency)
            latency.refreshes = source.refreshes - before
    finally:
        going.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await going
    return latency


async def _press(pilot: Pilot[None], moved: asyncio.Event, key: str, latency: Latency) -> None:
    moved.clear()
    start = time.perf_counter()
    pressed = asyncio.create_task(pilot.press(key))
    await moved.wait()
    latency.moved.append(time.perf_counter() - start)
    await pressed
