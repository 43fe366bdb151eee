"""The sandbox's wall clock: real time moved by an offset tests set, and "today" in Oslo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

#: Tripletex's "today" and "midnight" (session expiry) are Norwegian
OSLO = ZoneInfo("Europe/Oslo")


def utc_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time with a zone (`Z` or `+01:00`); raises ValueError otherwise."""
    try:
        found = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if found.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: add Z or an offset such as +01:00")
    return found


class WallClock:
    """Now, as the real clock plus an offset; the offset runs on, so the clock keeps ticking."""

    def __init__(self, real: Callable[[], datetime] = utc_now) -> None:
        self._real = real
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The sandbox's now, in UTC."""
        return (self._real() + self.offset).astimezone(UTC)

    def oslo_today(self) -> date:
        """Today's date in Europe/Oslo."""
        return self.now().astimezone(OSLO).date()

    def set(self, at: datetime) -> None:
        """Move the clock so that it is `at` now."""
        self.offset = at - self._real()

    def to_json(self) -> dict[str, Any]:
        """Now (UTC and Oslo), Oslo's date and the offset from the real clock."""
        now = self.now()
        return {
            "now": now.isoformat().replace("+00:00", "Z"),
            "oslo_now": now.astimezone(OSLO).isoformat(),
            "oslo_today": self.oslo_today().isoformat(),
            "offset_s": self.offset.total_seconds(),
        }
