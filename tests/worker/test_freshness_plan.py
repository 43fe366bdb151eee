"""The pure parts of the checksum polls: the ranges probed, and when each nightly pass is due."""

from __future__ import annotations

import datetime as dt
import itertools

from worker.freshness.nightly import OSLO, Night, next_due, offset_s, spread
from worker.freshness.ranges import PollRange, halve, is_recent, keep_finer, month_start, plan


def _covers(found: list[PollRange], years: list[int]) -> bool:
    pairs = itertools.pairwise(found)
    edges = all(a.end == b.start or a.end.year != a.start.year for a, b in pairs)
    return (
        edges
        and found[0].start == dt.date(years[0], 1, 1)
        and found[-1].end == dt.date(years[-1] + 1, 1, 1)
    )


def test_months_merge_while_they_hold_at_most_the_cap_within_one_year() -> None:
    counts = {month_start(2024, m): 1_600 for m in range(1, 13)}
    counts[month_start(2024, 6)] = 7_200
    found = plan(counts, [2023, 2024])
    assert _covers(found, [2023, 2024])
    assert found[0] == PollRange(dt.date(2023, 1, 1), dt.date(2024, 1, 1)), "an empty year: one"
    assert [r.label() for r in found[1:]] == [
        "2024-01..2024-05",
        "2024-06",
        "2024-07..2024-11",
        "2024-12",
    ]
    assert all(r.start.year == r.year == (r.end - dt.timedelta(days=1)).year for r in found)


def test_a_month_above_the_cap_is_cut_into_runs_of_days_and_a_range_halved() -> None:
    found = plan({month_start(2024, 3): 20_000}, [2024])
    march = [r for r in found if r.start.month == 3]
    assert len(march) == 3
    assert march[0].start == dt.date(2024, 3, 1)
    assert march[-1].end == dt.date(2024, 4, 1)
    first, second = halve(PollRange(dt.date(2024, 3, 1), dt.date(2024, 4, 1))) or ()
    assert (first.end, second.start, second.end) == (
        dt.date(2024, 3, 16),
        dt.date(2024, 3, 16),
        dt.date(2024, 4, 1),
    )
    assert halve(PollRange(dt.date(2024, 3, 1), dt.date(2024, 3, 2))) is None


def test_recent_ranges_and_finer_stored_cuts_kept() -> None:
    today = dt.date(2024, 6, 10)
    assert is_recent(PollRange(dt.date(2024, 5, 1), dt.date(2024, 6, 1)), today)
    assert not is_recent(PollRange(dt.date(2024, 4, 1), dt.date(2024, 4, 26)), today)
    year = PollRange(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    halves = halve(year)
    assert halves is not None
    assert keep_finer([year], halves) == list(halves), "halved after a probe: kept"
    assert keep_finer([year], [halves[0]]) == [year], "not a cut of it: the plan"


def test_organizations_of_one_token_get_distinct_slots_spread_over_the_window() -> None:
    night = Night(dt.time(2, 0), 4 * 3600)
    group = [17, 3, 42, 8]
    offsets = sorted(offset_s(o, group, "tok", night.window_s) for o in group)
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert all(abs(g - night.window_s / 4) < 1e-6 for g in gaps)
    assert offsets[-1] < night.window_s
    after = dt.datetime(2024, 6, 10, 12, tzinfo=dt.UTC)
    tokens = {17: "tok", 3: "tok", 42: "tok", 8: "tok", 5: "other"}
    first = spread(tokens, after, night)
    assert first == spread(tokens, after, night), "stable across calls"
    same = sorted(first[o] for o in group)
    assert all(b - a >= dt.timedelta(hours=1) for a, b in itertools.pairwise(same))
    assert all(a > after for a in first.values())
    local = [first[o].astimezone(OSLO) for o in group]
    assert all(dt.time(2, 0) <= t.time() < dt.time(6, 0) for t in local)
    assert {t.date() for t in local} == {dt.date(2024, 6, 11)}


def test_the_night_is_oslo_time_across_daylight_saving_changes() -> None:
    night = Night(dt.time(2, 0), 4 * 3600)
    # the night after the clocks went back (27 October 2024): 02:00 is 01:00 UTC again
    after = dt.datetime(2024, 10, 27, 12, tzinfo=dt.UTC)
    assert next_due(after, 3600, night) == dt.datetime(2024, 10, 28, 2, tzinfo=dt.UTC)
    summer = next_due(dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC), 0, night)
    assert summer == dt.datetime(2024, 6, 2, 0, tzinfo=dt.UTC)
    # the night the clocks go forward (31 March 2024, 02:00 does not exist): still that night
    spring = next_due(dt.datetime(2024, 3, 30, 12, tzinfo=dt.UTC), 0, night)
    assert spring.date() == dt.date(2024, 3, 31)
    assert spring < next_due(spring, 0, night) - dt.timedelta(hours=22)


def test_a_nightly_pass_probes_recent_years_always_and_older_years_by_turns() -> None:
    import datetime as dt

    from worker.freshness.ranges import CLOSED_YEARS_EVERY, PollRange, in_nightly_pass

    def span(year: int) -> PollRange:
        return PollRange(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

    nights = [dt.date(2026, 12, 7) + dt.timedelta(days=n) for n in range(CLOSED_YEARS_EVERY)]
    assert all(in_nightly_pass(span(y), d) for d in nights for y in (2025, 2026))
    for year in range(2016, 2025):  # each older year exactly once a week
        assert sum(in_nightly_pass(span(year), d) for d in nights) == 1
