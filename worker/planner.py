"""Pure planning of an import: which years, which date ranges, in what order. No I/O."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

#: the API refuses a query whose whole result exceeds this many objects (422 / 23000)
RESULT_CAP = 10_000


@dataclass(frozen=True, slots=True, order=True)
class DateRange:
    """Dates from `start` (inclusive) to `end` (exclusive), as the API's dateFrom/dateTo."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty date range {self.start}..{self.end}")

    @property
    def days(self) -> int:
        """How many days the range spans."""
        return (self.end - self.start).days

    @property
    def year(self) -> int:
        """The year the range starts in."""
        return self.start.year


def year_range(year: int) -> DateRange:
    """The whole of one year."""
    return DateRange(date(year, 1, 1), date(year + 1, 1, 1))


def month_ranges(year: int) -> list[DateRange]:
    """The twelve months of a year, in order."""
    starts = [date(year, month, 1) for month in range(1, 13)] + [date(year + 1, 1, 1)]
    return [DateRange(a, b) for a, b in itertools.pairwise(starts)]


def can_split(span: DateRange) -> bool:
    """A range of one day cannot be split by date any further."""
    return span.days > 1


def halves(span: DateRange) -> tuple[DateRange, DateRange]:
    """The range split in two at its middle day."""
    if not can_split(span):
        raise ValueError(f"a one-day range cannot be split: {span.start}")
    middle = span.start + timedelta(days=span.days // 2)
    return DateRange(span.start, middle), DateRange(middle, span.end)


def split_to_fit(span: DateRange, estimate: int, cap: int = RESULT_CAP) -> list[DateRange]:
    """Ranges small enough that each should hold under `cap` results, assuming an even spread."""
    if estimate <= cap or not can_split(span):
        return [span]
    first, second = halves(span)
    share = estimate * first.days // span.days
    return split_to_fit(first, share, cap) + split_to_fit(second, estimate - share, cap)


def years_newest_first(years: set[int] | list[int], *, through: int) -> list[int]:
    """The years to import, newest first (recent data is usable early), none after `through`."""
    return sorted({year for year in years if year <= through}, reverse=True)
