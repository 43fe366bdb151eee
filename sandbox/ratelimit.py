"""Fixed-window rate limiting per employee token, with Tripletex's X-Rate-Limit-* headers."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: windows remembered per key
HISTORY = 10_000


def usage(windows: list[list[float]], limit: int, window: float) -> float | None:
    """Requests served ÷ allowed over every window but the latest, counting the time between
    windows (a window starts at a request, so a client that waits too long loses that time).
    None with fewer than two windows."""
    if len(windows) < 2:
        return None
    served = sum(int(used) for _, used in windows[:-1])
    allowed = limit * (windows[-1][0] - windows[0][0]) / window
    return served / allowed


@dataclass(frozen=True, slots=True)
class RateState:
    """The outcome of one request against the limit."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """Headers for the response; a 429 leaves out X-Rate-Limit-Reset (Tripletex issue #103)."""
        found = {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
        }
        if self.allowed:
            found["X-Rate-Limit-Reset"] = str(self.reset)
        return found


class RateLimiter:
    """Counts requests per key in windows that start at a key's first request."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[object, tuple[float, int]] = {}
        #: per key, its latest windows as [start, requests served] (for benchmarks)
        self.history: dict[object, deque[list[float]]] = {}

    def hit(self, key: object) -> RateState:
        """Count one request for `key` and say whether it may proceed."""
        now = self._clock()
        start, used = self._windows.get(key, (now, 0))
        history = self.history.setdefault(key, deque(maxlen=HISTORY))
        if now - start >= self.window or not history:
            start, used = now, 0
            history.append([start, 0])
        used += 1
        self._windows[key] = (start, used)
        if used <= self.limit:
            history[-1][1] += 1
        reset = max(math.ceil(start + self.window - now), 0)
        allowed = used <= self.limit
        return RateState(allowed, self.limit, max(self.limit - used, 0), reset)
