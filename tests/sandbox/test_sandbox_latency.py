"""Latency mode: pages answer at a server's pace, rendered on demand, without blocking others."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from sandbox.__main__ import main, parser
from sandbox.faults import Faults
from sandbox.latency import FLOOR_MS, FULL_PAGE, parse_bounds, seconds_for

if TYPE_CHECKING:
    from conftest import Tx

YEAR = {"dateFrom": "2024-01-01", "dateTo": "2025-01-01"}


async def _full_year(tx: Tx) -> int:
    """Top the good company's 2024 up to exactly 10,000 postings (a full page); its id."""
    company = tx.scenario.token("good").company_id
    _, truth = await tx.control("GET", "/truth")
    held = next(c for c in truth["companies"] if c["id"] == company)["years"]["2024"]["count"]
    missing = FULL_PAGE - held
    while missing:
        size = min(999, missing)
        body = {"date": "2024-06-14", "postings": [{"accountNumber": 1920, "amount": 1}] * size}
        assert (await tx.control("POST", f"/companies/{company}/postings", body))[0] == 201
        missing -= size
    return company


async def _timed(tx: Tx, token: str, **params: object) -> tuple[float, int]:
    """Seconds a GET of /ledger/posting took (monotonic clock), and the objects it held."""
    started = time.monotonic()
    response, page = await tx.get("/ledger/posting", token, **YEAR, **params)
    assert response.status == 200, page
    return time.monotonic() - started, page["count"]


async def test_a_full_page_takes_its_time_and_the_cache_is_not_used(fresh: Tx) -> None:
    await _full_year(fresh)
    token = await fresh.session()
    _, before = await fresh.control("GET", "/counters")
    status, faults = await fresh.control("PATCH", "/faults", {"page_latency_ms": "200-200"})
    assert (status, faults["page_latency_ms"]) == (200, [200, 200])
    seconds, objects = await _timed(fresh, token, count=10_000)
    assert objects == FULL_PAGE
    assert seconds >= 0.2
    again, _ = await _timed(fresh, token, count=10_000)
    assert again >= 0.2, "rendered again, not served from memory"
    small, objects = await _timed(fresh, token, count=10, fields="id")
    assert objects == 10
    assert FLOOR_MS / 1000 <= small < seconds, "a small page takes its share, at least the floor"
    started = time.monotonic()
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200
    assert time.monotonic() - started >= FLOOR_MS / 1000
    _, after = await fresh.control("GET", "/counters")
    assert after["cache"] == before["cache"] == {"hits": 0, "misses": 0, "pages": 0, "bytes": 0}
    await fresh.control("PATCH", "/faults", {"page_latency_ms": None})
    for _ in range(2):
        await _timed(fresh, token, count=10_000)
    _, cached = await fresh.control("GET", "/counters")
    assert (cached["cache"]["misses"], cached["cache"]["hits"]) == (1, 1), "off: cached again"


async def test_a_slow_page_does_not_hold_up_the_others(fresh: Tx) -> None:
    await _full_year(fresh)
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"page_latency_ms": "500-500"})
    started = time.monotonic()
    timings = await asyncio.gather(
        *(_timed(fresh, token, count=10_000, fields="id") for _ in range(4))
    )
    elapsed = time.monotonic() - started
    assert all(seconds >= 0.5 for seconds, _ in timings)
    assert elapsed < 1.5, f"four pages of 0.5 s took {elapsed:.2f} s: the waits were not shared"


async def test_latency_is_jittered_within_its_range(fresh: Tx) -> None:
    await _full_year(fresh)
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"page_latency_ms": [100, 400]})
    timings = [(await _timed(fresh, token, count=10_000, fields="id"))[0] for _ in range(6)]
    assert min(timings) >= 0.1
    assert max(timings) - min(timings) > 0.01, "the time varies from page to page"


def test_share_of_a_page_and_the_floor() -> None:
    def top(low: float, high: float) -> float:
        return high

    assert seconds_for((150, 600), FULL_PAGE, top) == 0.6
    assert seconds_for((150, 600), FULL_PAGE * 3, top) == 0.6, "no page holds more than 10,000"
    assert seconds_for((150, 600), FULL_PAGE // 4, top) == 0.15
    assert seconds_for((150, 600), 10, top) == FLOOR_MS / 1000
    assert seconds_for((150, 600), 0, top) == FLOOR_MS / 1000, "no list: the floor"
    assert seconds_for((0, 0), FULL_PAGE, top) == 0.0, "a floor above the range's low end gives way"


@pytest.mark.parametrize(
    ("given", "bounds"),
    [("150-600", (150, 600)), (" 150 - 600 ", (150, 600)), ("200", (200, 200)), ([1, 2], (1, 2))],
)
def test_ranges_read(given: object, bounds: tuple[int, int]) -> None:
    assert parse_bounds(given) == bounds
    assert Faults(page_latency_ms=given).page_latency_ms == bounds  # type: ignore[arg-type]
    assert Faults().updated({"page_latency_ms": given}).page_latency_ms == bounds


@pytest.mark.parametrize("given", ["600-150", "-5", "fast", "1.5-2", [1], [1.0, 2], [True, 2], 7])
def test_bad_ranges_are_refused(given: object) -> None:
    with pytest.raises(ValueError, match="page_latency_ms"):
        Faults().updated({"page_latency_ms": given})


async def test_control_api_refuses_a_bad_range_and_round_trips_a_good_one(fresh: Tx) -> None:
    status, error = await fresh.control("PATCH", "/faults", {"page_latency_ms": "slow"})
    assert status == 422
    assert "page_latency_ms" in error["error"]
    _, faults = await fresh.control("PATCH", "/faults", {"page_latency_ms": "150-600"})
    status, again = await fresh.control("PUT", "/faults", faults)
    assert (status, again["page_latency_ms"]) == (200, [150, 600])
    _, reset = await fresh.control("PUT", "/faults", {})
    assert reset["page_latency_ms"] is None, "instant by default"


def test_latency_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert parser().parse_args(["--latency", "150-600"]).latency == (150, 600)
    assert parser().parse_args([]).latency is None
    assert "--latency" in parser().format_help()
    with pytest.raises(SystemExit):
        parser().parse_args(["--latency", "600-150"])
    assert "--latency" in capsys.readouterr().err
    assert main(["--latency", "150-600", "--describe"]) == 0
