"""Import planning: months, halving, splitting to the API's cap, year order."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from worker.planner import (
    DateRange,
    halves,
    month_ranges,
    split_to_fit,
    year_range,
    years_newest_first,
)


@pytest.mark.parametrize("year", [2023, 2024])
def test_months_cover_the_year_exactly(year: int) -> None:
    months = month_ranges(year)
    assert len(months) == 12
    assert months[0].start == date(year, 1, 1)
    assert months[-1].end == date(year + 1, 1, 1)
    assert all(a.end == b.start for a, b in itertools.pairwise(months))
    assert sum(m.days for m in months) == year_range(year).days


def test_halves_meet_and_cover() -> None:
    first, second = halves(DateRange(date(2024, 2, 1), date(2024, 3, 1)))
    assert first == DateRange(date(2024, 2, 1), date(2024, 2, 15))
    assert second == DateRange(date(2024, 2, 15), date(2024, 3, 1))


def test_one_day_cannot_be_halved() -> None:
    with pytest.raises(ValueError, match="one-day"):
        halves(DateRange(date(2024, 2, 1), date(2024, 2, 2)))


def test_empty_range_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        DateRange(date(2024, 2, 1), date(2024, 2, 1))


def test_split_to_fit_keeps_small_ranges_whole() -> None:
    month = month_ranges(2024)[0]
    assert split_to_fit(month, 9_999) == [month]


def test_split_to_fit_covers_the_range_in_pieces_under_the_cap() -> None:
    month = month_ranges(2024)[2]
    pieces = split_to_fit(month, 45_000)
    assert pieces[0].start == month.start
    assert pieces[-1].end == month.end
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    assert all(45_000 * p.days / month.days <= 10_000 for p in pieces)


def test_years_newest_first_and_not_in_the_future() -> None:
    assert years_newest_first({2019, 2024, 2021, 2027}, through=2026) == [2024, 2021, 2019]
