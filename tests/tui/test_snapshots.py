"""Every screen at 160×45 on fixed data and a fixed clock (`--snapshot-update` accepts changes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label
from tui_fake import FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.screens.checks import ChecksScreen
from tui.screens.detail import DetailScreen
from tui.screens.fleet import FleetScreen
from tui.screens.ledger import TrialBalanceScreen
from tui.widgets.checklist import CheckItem
from tui.widgets.company_picker import CompanyTable
from tui.widgets.job_table import JobTable
from tui.widgets.org_table import OrgTable
from tui.widgets.timeline import Timeline
from tui.widgets.trial_balance_table import TrialBalanceTable

SIZE = (160, 45)
Compare = Callable[..., bool]
Steps = Callable[[Pilot[Any]], Awaitable[None]]


def app(*, read_only: bool = False) -> LedgersyncApp:
    """The App on fixed data, never refreshing by itself."""
    return LedgersyncApp(FakeSource(), read_only=read_only, refresh_s=3600)


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish and stop the text cursors from blinking."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def home(pilot: Pilot[Any]) -> None:
    """The home table, loaded."""
    table = pilot.app.screen.query_one(OrgTable)
    await until(pilot, "the organizations", lambda: table.row_count > 0)


def then(*steps: Steps) -> Steps:
    """Run the steps, then settle."""

    async def run(pilot: Pilot[Any]) -> None:
        for step in steps:
            await step(pilot)
        await settle(pilot)

    return run


def keys(*pressed: str) -> Steps:
    """Press keys."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press(*pressed)

    return run


def waiting(what: str, ok: Callable[[Pilot[Any]], bool]) -> Steps:
    """Wait for something to show."""

    async def run(pilot: Pilot[Any]) -> None:
        await until(pilot, what, lambda: ok(pilot))

    return run


detail_loaded = waiting(
    "the detail",
    lambda p: (
        isinstance(p.app.screen, DetailScreen) and p.app.screen.query_one(Timeline).row_count > 0
    ),
)
checks_loaded = waiting(
    "the checks",
    lambda p: isinstance(p.app.screen, ChecksScreen) and len(p.app.screen.query(CheckItem)) > 0,
)
companies_loaded = waiting(
    "the companies",
    lambda p: (
        len(p.app.screen.query(CompanyTable)) > 0
        and p.app.screen.query_one(CompanyTable).row_count > 3
    ),
)

jobs_loaded = waiting(
    "the jobs",
    lambda p: (
        len(p.app.screen.query(JobTable)) > 0 and p.app.screen.query_one(JobTable).row_count > 0
    ),
)

trial_balance_loaded = waiting(
    "the trial balance of 2023",
    lambda p: (
        isinstance(p.app.screen, TrialBalanceScreen)
        and "2023" in str(p.app.screen.query_one("#tb-head", Label).render())
    ),
)

fleet_loaded = waiting(
    "the fleet", lambda p: isinstance(p.app.screen, FleetScreen) and p.app.screen.fleet is not None
)

SCREENS: dict[str, tuple[bool, Steps]] = {
    "home": (False, then(home, keys("j", "j", "j"))),
    "home_filtered": (False, then(home, keys("slash", *"syncing"))),
    "home_read_only": (True, then(home)),
    "keys": (False, then(home, keys("question_mark"))),
    "detail": (False, then(home, keys("j", "enter"), detail_loaded)),
    "detail_read_only": (True, then(home, keys("j", "enter"), detail_loaded)),
    "remove_confirm": (False, then(home, keys("j", "enter"), detail_loaded, keys("D"))),
    "checks": (False, then(home, keys("j", "j", "j", "t"), checks_loaded)),
    "register_name": (False, then(home, keys("n", *"Fjordkraft"))),
    "register_token": (
        False,
        then(home, keys("n", *"Fjordkraft", "enter", "enter", "enter", *"secret-token")),
    ),
    "register_companies": (
        False,
        then(
            home,
            keys("n", *"Fjordkraft", "enter", "enter", "enter", *"tok-0123456789abcdef", "enter"),
            companies_loaded,
            keys(*"as"),
        ),
    ),
    "register_confirm": (
        False,
        then(
            home,
            keys("n", *"Fjordkraft", "enter", "enter", "enter", *"tok-0123456789abcdef", "enter"),
            companies_loaded,
            keys(*"havbris", "enter"),
        ),
    ),
    "jobs": (False, then(home, keys("f"), jobs_loaded)),
    "jobs_retry_all": (False, then(home, keys("f"), jobs_loaded, keys("R"))),
    "detail_needs_attention": (False, then(home, keys("j", "j", "j", "enter"), detail_loaded)),
    "token": (False, then(home, keys("j", "enter"), detail_loaded, keys("T", *"new-token"))),
    "register_method": (False, then(home, keys("n", *"Fjordkraft", "enter"))),
    "register_saft_file": (
        False,
        then(home, keys("n", *"Tøyen", "enter", "down", "enter", *"/data/saft.xml")),
    ),
    "company_later": (
        False,
        then(home, keys("j", "j", "enter"), detail_loaded, keys("C"), companies_loaded),
    ),
    "saft_file": (
        False,
        then(home, keys(*"jjjjj", "enter"), detail_loaded, keys("i", *"/data/fjellstue.xml")),
    ),
    "palette": (False, then(home, keys("ctrl+p"))),
    "fleet": (False, then(home, keys("v"), fleet_loaded)),
    "trial_balance": (
        False,
        then(
            home,
            keys("enter"),
            detail_loaded,
            keys("b"),
            waiting(
                "the accounts",
                lambda p: (
                    isinstance(p.app.screen, TrialBalanceScreen)
                    and p.app.screen.query_one(TrialBalanceTable).row_count > 0
                ),
            ),
            keys("left_square_bracket"),
            trial_balance_loaded,
        ),
    ),
    "bulk_confirm": (False, then(home, keys("j", "space", "j", "space", "space", "R"))),
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(snap_compare: Compare, name: str) -> None:
    read_only, steps = SCREENS[name]
    assert snap_compare(app(read_only=read_only), terminal_size=SIZE, run_before=steps)
