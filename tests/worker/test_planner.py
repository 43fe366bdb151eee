"""Import planning: months, halving, the split of a range over the API's cap, years."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from worker.sync.plan import (
    ACCOUNT_CLASSES,
    AccountRange,
    DateRange,
    Density,
    Scope,
    halves,
    month_ranges,
    planned,
    split,
    year_range,
    years_to_import,
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


def test_a_year_too_large_splits_into_its_months() -> None:
    assert split(Scope(year_range(2024))) == [Scope(m) for m in month_ranges(2024)]


def test_a_month_splits_in_halves_down_to_one_day() -> None:
    scope = Scope(month_ranges(2024)[1])
    days = 0
    while scope.span.days > 1:
        first, second = split(scope)
        assert first.span.end == second.span.start
        assert (first.span.start, second.span.end) == (scope.span.start, scope.span.end)
        scope, days = first, days + 1
    assert days == 4  # 29 -> 14 -> 7 -> 3 -> 1 day: four splits


def test_one_day_splits_into_account_classes_that_cover_every_number() -> None:
    day = DateRange(date(2024, 12, 31), date(2025, 1, 1))
    parts = split(Scope(day))
    assert [p.span for p in parts] == [day] * len(ACCOUNT_CLASSES)
    ranges = [p.accounts for p in parts]
    assert ranges[0].low is None
    assert ranges[-1].high is None
    assert all(a.high == b.low for a, b in itertools.pairwise(ranges))


def test_account_ranges_halve_down_to_one_account_which_cannot_split() -> None:
    day = DateRange(date(2024, 12, 31), date(2025, 1, 1))
    scope = Scope(day, AccountRange(3000, 4000))
    while not scope.accounts.single:
        low, high = split(scope)
        assert (low.accounts.low, high.accounts.high) == (scope.accounts.low, scope.accounts.high)
        assert low.accounts.high == high.accounts.low
        scope = low
    assert scope.accounts == AccountRange(3000, 3001)
    assert split(scope) == []


def test_an_open_account_range_halves_too() -> None:
    day = DateRange(date(2024, 12, 31), date(2025, 1, 1))
    low, high = split(Scope(day, AccountRange(10000, None)))
    assert low.accounts.low == 10000
    assert high.accounts.high is None
    assert low.accounts.high == high.accounts.low


@pytest.mark.parametrize(
    ("scope", "label"),
    [
        (Scope(year_range(2024)), "2024"),
        (Scope(month_ranges(2024)[2]), "2024-03"),
        (Scope(DateRange(date(2024, 3, 1), date(2024, 3, 16))), "2024-03-01..2024-03-15"),
        (Scope(DateRange(date(2024, 12, 31), date(2025, 1, 1))), "2024-12-31"),
        (
            Scope(DateRange(date(2024, 12, 31), date(2025, 1, 1)), AccountRange(3000, 4000)),
            "2024-12-31 accounts 3000–3999",
        ),
    ],
)
def test_scope_labels(scope: Scope, label: str) -> None:
    assert scope.label() == label


def test_years_to_import_reach_back_to_the_earliest_posting() -> None:
    assert years_to_import({2022, 2023}, None, 2025) == [2025, 2024, 2023, 2022]
    assert years_to_import({2022}, date(2019, 5, 1), 2025)[-1] == 2019
    assert years_to_import(set(), None, 2025) == [2025]
    assert years_to_import({1960}, None, 1971) == [1971, 1970]  # never before FIRST_YEAR


def _density(
    per_day: dict[date, int], accounts: dict[date, dict[int, int]] | None = None
) -> Density:
    return Density(per_day, accounts or {})


def test_a_year_like_a_small_one_is_planned_whole() -> None:
    small = _density({date(2024, m, 1): 500 for m in range(1, 13)})
    scope = Scope(year_range(2023))
    assert planned(scope, small.moved_to(2023).count) == [scope]


def test_a_year_like_a_large_one_is_planned_in_its_months_and_a_busy_month_in_halves() -> None:
    per_day = {date(2024, m, 1): 6_000 for m in range(1, 13)}
    per_day[date(2024, 12, 20)] = 6_000  # December: 12,000, over the cap
    scopes = planned(Scope(year_range(2023)), _density(per_day).moved_to(2023).count)
    assert scopes[:11] == [Scope(m) for m in month_ranges(2023)[:11]]
    assert [s.span for s in scopes[11:]] == list(halves(month_ranges(2023)[11]))


def test_a_busy_day_is_planned_in_account_ranges_at_once() -> None:
    day = date(2024, 12, 31)
    accounts = {1920: 6_000, 3000: 6_000}
    density = _density({day: 12_000}, {day: accounts}).moved_to(2023)
    scopes = planned(Scope(year_range(2023)), density.count)
    narrowed = [s for s in scopes if not s.accounts.whole]
    assert {s.span.start for s in narrowed} == {date(2023, 12, 31)}
    assert sum(density.count(s) for s in narrowed) == 12_000
    assert all(density.count(s) <= 10_000 for s in scopes)


def test_29_february_moves_to_the_28th() -> None:
    leap = _density({date(2024, 2, 28): 3, date(2024, 2, 29): 4}).moved_to(2023)
    assert leap.per_day == {date(2023, 2, 28): 7}


def test_a_one_off_day_is_no_pattern_for_other_years() -> None:
    per_day = {date(2024, 12, d): 200 for d in range(1, 32)}
    per_day[date(2024, 12, 31)] = 12_000
    pattern = _density(per_day, {date(2024, 12, 31): {1920: 12_000}}).without_spikes()
    assert pattern.per_day[date(2024, 12, 31)] == 800
    assert pattern.per_day_account == {}
    scope = Scope(year_range(2023))
    assert planned(scope, pattern.moved_to(2023).count) == [scope]
