"""Latency mode: /v2 answers at a server's pace, a full list page in a jittered time, never instant.

A page of 10,000 objects takes a time drawn from the range (e.g. 150-600 ms), a smaller page its
share of that (a page of 2,500 a quarter), and no request under the floor. The time counts from
the request's arrival, so what the sandbox spent rendering is part of it, and the rest is an
`asyncio.sleep`: other requests are served meanwhile. Pages are rendered on demand in this mode
(the page cache is bypassed), as a real server reads them again on every request.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

#: the page a latency range is for: Tripletex's largest (its 10,000-object cap)
FULL_PAGE = 10_000
#: the least time any /v2 request takes in latency mode, in milliseconds (or the range's low end
#: when that is smaller)
FLOOR_MS = 30
#: how many objects a list response held (set by the envelope, read by the pacing)
OBJECTS = web.RequestKey("objects", int)
#: "150-600" or "200" (milliseconds)
_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")
#: a latency range: the least and the most milliseconds a full page takes
Bounds = tuple[int, int]


def parse_bounds(value: Any) -> Bounds:
    """A latency range from "150-600", "200", [150, 600] or (150, 600); raises ValueError."""
    if isinstance(value, str):
        found = _RANGE.fullmatch(value)
        if found is None:
            raise ValueError(f"not a range of milliseconds like 150-600: {value!r}")
        low, high = int(found[1]), int(found[2] or found[1])
    elif isinstance(value, list | tuple) and len(value) == 2:
        low, high = value
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            raise ValueError("both ends must be whole milliseconds")
    else:
        raise ValueError(f"not a range of milliseconds like 150-600: {value!r}")
    if not 0 <= low <= high:
        raise ValueError(f"the range must run from a low end up to a high one: {low}-{high}")
    return low, high


def seconds_for(bounds: Bounds, objects: int, draw: Callable[[float, float], float]) -> float:
    """How long a response of `objects` list objects takes: its share of a drawn full-page time,
    never under the floor."""
    low, high = bounds
    share = min(max(objects, 0), FULL_PAGE) / FULL_PAGE
    return max(min(FLOOR_MS, low), draw(low, high) * share) / 1000


async def pace(
    request: web.Request, bounds: Bounds, draw: Callable[[float, float], float], started: float
) -> None:
    """Sleep until the request has taken its time (counted from `started`, `time.monotonic`)."""
    wait = seconds_for(bounds, request.get(OBJECTS, 0), draw) - (time.monotonic() - started)
    if wait > 0:
        await asyncio.sleep(wait)
