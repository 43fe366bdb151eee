"""The date ranges an organization's vouchers are probed in, pure.

Whole months within one calendar year, consecutive months merged while the vouchers our
postings hold there stay at most `RANGE_VOUCHERS` (of the API's 10,000 a query, a fifth left to
grow into); every imported year covered, empty months too. A month above it alone is cut into
equal runs of days; a range a probe finds too large all the same is halved by days.

A nightly pass probes every range of the current and the previous year, and the ranges of one
in `CLOSED_YEARS_EVERY` of the older years (by turns: each of them once in so many nights):
books that old change seldom, and a year's ranges are most of what a pass costs.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: vouchers a planned range may hold (the probe's page holds 10,000; a range grown over it is
#: refused and halved, one request more)
RANGE_VOUCHERS = 8_000
#: the nightly pass probes each year before the previous one every so many nights
CLOSED_YEARS_EVERY = 7
#: a range ending after today minus this is recent: probed every poll, not only at night
RECENT_DAYS = 45


@dataclass(frozen=True, slots=True, order=True)
class PollRange:
    """Dates from `start` (inclusive) to `end` (exclusive), within one year."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end <= self.start or (self.end - dt.timedelta(days=1)).year != self.start.year:
            raise ValueError(f"not a range within one year: {self.start}..{self.end}")

    @property
    def year(self) -> int:
        """The year the range lies in."""
        return self.start.year

    @property
    def days(self) -> int:
        """How many days the range spans."""
        return (self.end - self.start).days

    def label(self) -> str:
        """`2024-03`, `2024-01..2024-03`, or `2024-03-01..2024-03-15` (days, end inclusive)."""
        last = self.end - dt.timedelta(days=1)
        if self.start.day == 1 and self.end.day == 1:
            first = f"{self.start:%Y-%m}"
            return first if first == f"{last:%Y-%m}" else f"{first}..{last:%Y-%m}"
        return f"{self.start}..{last}"


def month_start(year: int, month: int) -> dt.date:
    """The first day of a month; month 13 is January of the next year."""
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def plan(
    counts: Mapping[dt.date, int], years: Iterable[int], cap: int = RANGE_VOUCHERS
) -> list[PollRange]:
    """The ranges covering `years`, from vouchers per month (keyed by the month's first day)."""
    found: list[PollRange] = []
    for year in sorted(set(years)):
        first, total = 1, 0
        for month in range(1, 13):
            n = counts.get(month_start(year, month), 0)
            if month > first and total + n > cap:
                span = PollRange(month_start(year, first), month_start(year, month))
                found += _cut(span, total, cap)
                first, total = month, 0
            total += n
        found += _cut(PollRange(month_start(year, first), month_start(year + 1, 1)), total, cap)
    return found


def _cut(span: PollRange, vouchers: int, cap: int) -> list[PollRange]:
    """A range as is, or (one month above the cap) cut into equal runs of days."""
    parts = min(-(-vouchers // cap), span.days)
    if parts <= 1:
        return [span]
    edges = [span.start + dt.timedelta(days=span.days * i // parts) for i in range(parts + 1)]
    return [PollRange(a, b) for a, b in itertools.pairwise(edges)]


def halve(span: PollRange) -> tuple[PollRange, PollRange] | None:
    """A range a probe found too large, as two halves by days; None for a single day."""
    if span.days < 2:
        return None
    middle = span.start + dt.timedelta(days=span.days // 2)
    return PollRange(span.start, middle), PollRange(middle, span.end)


def in_nightly_pass(span: PollRange, today: dt.date, every: int = CLOSED_YEARS_EVERY) -> bool:
    """Whether tonight's pass probes the range: the current and previous year always, an older
    year once in `every` nights (by turns, so about a seventh of them each night)."""
    return span.year >= today.year - 1 or (span.year + today.toordinal()) % every == 0


def is_recent(span: PollRange, today: dt.date) -> bool:
    """Whether the range ends after today minus `RECENT_DAYS` (probed at every poll)."""
    return span.end > today - dt.timedelta(days=RECENT_DAYS)


def keep_finer(planned: list[PollRange], stored: Iterable[PollRange]) -> list[PollRange]:
    """The plan, except where the stored ranges cut a planned range exactly into finer ones (a
    range halved after a probe found it too large): those stay, with their digests."""
    stored = sorted(stored)
    found: list[PollRange] = []
    for span in planned:
        inside = [s for s in stored if span.start <= s.start and s.end <= span.end]
        tiles = len(inside) > 1 and all(a.end == b.start for a, b in itertools.pairwise(inside))
        exact = tiles and inside[0].start == span.start and inside[-1].end == span.end
        found += inside if exact else [span]
    return found
