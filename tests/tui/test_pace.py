"""The rate from a sync's own start and the time left from the work left (tui.pace, issue 18)."""

from __future__ import annotations

import math

import pytest

from tui import format as fmt
from tui import pace
from tui.views import Progress

#: a chunk of 3,000 postings finishing every 10 s: 300 postings a second
STEADY = 300.0


def steady_chunks(since_s: float, every_s: float = 10.0, postings: int = 3_000) -> float:
    """The weighted sum `since_s` seconds into a sync whose chunks finish every `every_s`."""
    ages = [since_s - t for t in range(int(every_s), int(since_s) + 1, int(every_s))]
    return pace.weighted_sum((age, postings) for age in ages)


def test_the_first_seconds_read_the_average_since_the_start_not_a_minute_diluted() -> None:
    # one chunk of 3,000 finished at 8 s; 10 s in, the old 60 s window read 50/s
    per_s = pace.rate(pace.weighted_sum([(2.0, 3_000)]), since_s=10.0)
    assert per_s == pytest.approx(3_000 / 10, rel=0.15)


def test_before_the_first_chunk_ends_there_is_no_rate_and_no_eta() -> None:
    assert pace.rate(0.0, since_s=4.0) == 0.0
    assert pace.eta((10_000.0, 10_000.0), 0.0) is None


def test_in_steady_state_the_rate_is_the_pace_of_the_work() -> None:
    for since_s in (120.0, 600.0, 3_600.0):
        assert pace.rate(steady_chunks(since_s), since_s) == pytest.approx(STEADY, rel=0.2)


def test_a_pause_makes_the_rate_fall_and_the_eta_grow() -> None:
    weighted_then = steady_chunks(600.0)
    before = pace.rate(weighted_then, 600.0)
    # 30 s and then 90 s with nothing finished: every weight falls by e^(-t/30)
    shown = [pace.rate(weighted_then * math.exp(-t / pace.TAU_S), 600.0 + t) for t in (30, 90)]
    assert before is not None
    assert shown[0] is not None
    assert shown[1] is not None
    assert before > shown[0] > shown[1] > 0
    assert shown[0] == pytest.approx(before / math.e, rel=0.01)
    left = (60_000.0, 60_000.0)
    etas = [pace.eta(left, per_s) for per_s in (before, *shown)]
    assert etas[0] is not None
    assert etas[1] is not None
    assert etas[2] is not None
    assert etas[0][0] < etas[1][0] < etas[2][0]
    # a long pause reads as idle, not as a crawl
    assert pace.rate(weighted_then * math.exp(-600 / pace.TAU_S), 1_200.0) == 0.0


def test_once_the_sync_ends_nothing_is_shown() -> None:
    assert pace.rate(steady_chunks(600.0), since_s=None) is None
    done = Progress(90_000, 90_000, rate=None)
    assert fmt.rate(done) == ""
    assert fmt.eta(done, "importing") == ""


def test_work_left_is_known_where_the_last_count_is_and_a_range_where_it_is_not() -> None:
    assert pace.work_left(4_000, 0, None, None) == (4_000.0, 4_000.0)
    # 200 days left, the days done held 10 to 50 postings a day
    assert pace.work_left(0, 200, 10.0, 50.0) == (2_000.0, 10_000.0)
    assert pace.work_left(0, 200, None, None) is None, "no day done to go by"
    assert pace.eta((2_000.0, 10_000.0), 100.0) == (20.0, 100.0)


@pytest.mark.parametrize(
    ("soonest", "latest", "shown"),
    [
        (20.0, 100.0, "20s–1m"),
        (180.0, 300.0, "3–5m"),
        (3_000.0, 7_300.0, "50m–2h"),
        (90_000.0, 600_000.0, "1–6d"),
        (61.0, 65.0, "1m"),
    ],
)
def test_an_eta_range_reads_short_and_fits_its_column(
    soonest: float, latest: float, shown: str
) -> None:
    assert fmt.between(soonest, latest) == shown
    assert len(shown) <= 7


def test_a_range_of_work_left_shows_as_a_range_and_a_known_one_as_one_time() -> None:
    ranged = Progress(None, 3_000, rate=100.0, share=0.25, left=(2_000.0, 10_000.0))
    assert fmt.eta(ranged, "importing") == "20s–1m"
    known = Progress(10_000, 4_000, rate=100.0)
    assert fmt.eta(known, "importing") == "1m 00s"


def test_a_resync_shows_the_postings_it_holds_and_its_own_progress() -> None:
    # the last import held 10,000; this re-sync redid chunks of 1,500 and keeps 8,500 for now
    resync = Progress(10_000, 10_000, rate=50.0, share=0.2, kept=8_500)
    assert fmt.postings(resync) == "10\u2009000 / 10\u2009000"
    assert fmt.fraction(resync, "importing") == pytest.approx(0.15)
    assert resync.eta_s() == (170.0, 170.0)
