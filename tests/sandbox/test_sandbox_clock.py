"""Session expiry in Europe/Oslo time on a clock tests can move (control API and `--clock`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from sandbox.__main__ import parser
from sandbox.clock import OSLO, WallClock
from sandbox.scenario import Scenario
from sandbox.server import SandboxServer

if TYPE_CHECKING:
    from conftest import Tx


async def test_expiry_is_oslo_today_and_oslo_midnight(fresh: Tx) -> None:
    status, clock = await fresh.control("PUT", "/clock", {"now": "2026-12-06T23:30:00Z"})
    assert status == 200
    assert clock["now"].startswith("2026-12-06T23:30")
    assert clock["oslo_today"] == "2026-12-07", "in winter Oslo is UTC+1"
    utc_tomorrow = await fresh.create(expirationDate="2026-12-07")
    assert utc_tomorrow.status == 422, "UTC-tomorrow is Oslo-today"
    body = {
        "consumerToken": fresh.scenario.consumer.value,
        "employeeToken": fresh.scenario.token("good").value,
        "expirationDate": "2026-12-08",
    }
    async with fresh.http.post(
        f"{fresh.server.base_url}/token/session/:create", json=body
    ) as response:
        assert response.status == 201
        token = (await response.json())["value"]["token"]
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200
    await fresh.control("PUT", "/clock", {"now": "2026-12-07T22:59:00Z"})
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200, "23:59 in Oslo"
    status, clock = await fresh.control("PUT", "/clock", {"now": "2026-12-08T00:00:00+01:00"})
    assert clock["oslo_today"] == "2026-12-08"
    response, error = await fresh.get("/token/session/>whoAmI", token)
    assert (response.status, error["code"]) == (401, 3000), "dead from Oslo midnight"
    await fresh.control("PUT", "/clock", {"reset": True})
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 200


async def test_summer_time_and_offsets(fresh: Tx) -> None:
    _, clock = await fresh.control("PUT", "/clock", {"now": "2026-06-30T22:30:00Z"})
    assert clock["oslo_today"] == "2026-07-01", "in summer Oslo is UTC+2"
    assert (await fresh.create(expirationDate="2026-07-01")).status == 422
    assert (await fresh.create(expirationDate="2026-07-02")).status == 201
    status, clock = await fresh.control("PUT", "/clock", {"offset_s": 3600})
    assert (status, clock["offset_s"]) == (200, 3600.0)
    now = datetime.fromisoformat(clock["now"])
    assert abs(now - datetime.now(UTC) - timedelta(hours=1)) < timedelta(seconds=5)
    status, clock = await fresh.control("PUT", "/clock", {"reset": True})
    assert (status, clock["offset_s"]) == (200, 0.0)
    assert (await fresh.control("GET", "/clock"))[1]["oslo_today"] == (
        datetime.now(OSLO).date().isoformat()
    )
    for wrong in (
        {"now": "2026-12-06T23:30:00"},
        {"now": "soon"},
        {"offset_s": "an hour"},
        {"reset": False},
        {"now": "2026-12-06T23:30:00Z", "reset": True},
        {"later": 1},
    ):
        status, error = await fresh.control("PUT", "/clock", wrong)
        assert status == 422, wrong
        assert error["error"]


async def test_the_clock_given_at_start(
    tx_for: Callable[[SandboxServer], Tx], small_scenario: Scenario
) -> None:
    at = parser().parse_args(["--clock", "2026-12-06T23:30:00Z"]).clock
    assert at == datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    async with SandboxServer(small_scenario, clock=at) as server:
        tx = tx_for(server)
        assert (await tx.control("GET", "/clock"))[1]["oslo_today"] == "2026-12-07"
        assert (await tx.create(expirationDate="2026-12-07")).status == 422
    with pytest.raises(SystemExit):
        parser().parse_args(["--clock", "2026-12-06T23:30:00"])


def test_the_wall_clock_runs_on_from_where_it_was_set() -> None:
    real = [datetime(2026, 1, 1, 12, tzinfo=UTC)]
    wall = WallClock(lambda: real[0])
    wall.set(datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    real[0] += timedelta(minutes=45)
    assert wall.now() == datetime(2026, 12, 7, 0, 15, tzinfo=UTC)
    assert wall.oslo_today().isoformat() == "2026-12-07"
