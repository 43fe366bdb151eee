"""Alerts in the running UI (issue 18): each event told once on whatever screen is open, none for
what was so at start-up, `!` goes there, the bell only when asked for; and a dialog no longer
pauses the refresh behind it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from tui_fake import SYSTEM, FakeSource
from tui_pilot import until

import tui.app as app_module
from tui.app import LedgersyncApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import DetailScreen
from tui.screens.home import HomeScreen
from tui.screens.jobs import JobsScreen
from tui.widgets.org_table import OrgTable

SIZE = (150, 40)


class Ringing(LedgersyncApp):
    """The App, counting the bells it rings (a headless terminal rings none)."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
    rings = 0

    def bell(self) -> None:
        self.rings += 1


def alerts(app: LedgersyncApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Alert"]


def needs_attention(source: FakeSource, org_id: int) -> None:
    source.orgs = [
        replace(o, state="needs_attention") if o.id == org_id else o for o in source.orgs
    ]


async def refreshed(app: LedgersyncApp, pilot: Pilot[Any], times: int = 2) -> None:
    """A few refreshes of the App's timer, each let through."""
    for _ in range(times):
        app.tick()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def started(app: LedgersyncApp, pilot: Pilot[Any]) -> None:
    """Wait for the first refresh (what the UI starts from), then a few more: none tells a thing."""
    await until(
        pilot,
        "the first refresh",
        lambda: bool(app.system.workers) and app.screen.query_one(OrgTable).row_count == 8,
    )
    await refreshed(app, pilot)
    assert alerts(app) == [], "what was so at start-up is not news"


async def told_once_and_goes(
    app: LedgersyncApp, pilot: Pilot[Any], told: str, there: type[Screen[Any]]
) -> None:
    """Exactly `told` was alerted (once, whatever the refreshes), and `!` opens `there`."""
    assert alerts(app) == [told]
    await pilot.press("exclamation_mark")
    assert isinstance(app.screen, there)


async def test_nothing_is_told_at_start_up_and_an_org_needing_attention_is_told_once() -> None:
    # Given an organization already needing attention, a dead letter and a silent worker
    source = FakeSource()
    app = Ringing(source, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("f")  # on another screen than the organizations
        assert isinstance(app.screen, JobsScreen)
        # When another organization needs attention
        needs_attention(source, 2)
        await refreshed(app, pilot, times=3)
        # Then it is told once, with the key, and no bell without --bell
        told = "Tall og Tast Regnskap needs attention: press ! to open it."
        await told_once_and_goes(app, pilot, told, DetailScreen)
        assert app.rings == 0
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.org_id == 2
        await pilot.press("exclamation_mark")
        assert len(app.screen_stack) == 3, "already there: nothing more opens"


async def test_a_dead_letter_rings_with_bell_and_goes_to_the_jobs() -> None:
    source = FakeSource()
    app = Ringing(source, refresh_s=3600, bell=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("enter")  # an organization's screen is open
        await until(pilot, "the detail", lambda: isinstance(app.screen, DetailScreen))
        await refreshed(app, pilot)
        assert app.rings == 0
        onboarding = replace(SYSTEM.queues[1], dead=SYSTEM.queues[1].dead + 1)
        source.system_view = replace(SYSTEM, queues=(SYSTEM.queues[0], onboarding))
        await refreshed(app, pilot, times=3)
        assert app.rings == 1
        told = (
            "A job on the onboarding queue failed for good (a new dead letter): "
            "press ! for the jobs."
        )
        await told_once_and_goes(app, pilot, told, JobsScreen)
        assert isinstance(app.screen, JobsScreen)
        assert app.screen.org_id is None, "every organization's jobs"


async def test_a_worker_going_silent_is_told_once_and_goes_to_the_workers() -> None:
    source = FakeSource()
    app = Ringing(source, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        a1, b7, c3 = SYSTEM.workers
        source.system_view = replace(SYSTEM, workers=(a1, replace(b7, heartbeat_age_s=64.0), c3))
        await refreshed(app, pilot)
        source.system_view = replace(SYSTEM, workers=(a1, replace(b7, heartbeat_age_s=66.0), c3))
        await refreshed(app, pilot)
        assert app.rings == 0
        told = (
            "Worker ledger-1 pid 4243 slot 2/2 stopped sending heartbeats (none for 1m 04s): "
            "press ! for the workers."
        )
        await told_once_and_goes(app, pilot, told, JobsScreen)


async def test_a_confirm_dialog_keeps_the_screen_behind_it_fresh_and_alerts_coming() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("j", "enter")  # Tall og Tast Regnskap, syncing
        await until(
            pilot,
            "the detail",
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None,
        )
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await pilot.press("D")
        await until(pilot, "the question", lambda: isinstance(app.screen, ConfirmScreen))
        # While the question is open, the organization needs attention and a queue fills
        needs_attention(source, 2)
        queues = (replace(SYSTEM.queues[0], depth=9_999), SYSTEM.queues[1])
        source.system_view = replace(SYSTEM, queues=queues)
        await refreshed(app, pilot)
        # Then the screen behind shows it, and so does the header; the alert came
        assert isinstance(app.screen, ConfirmScreen), "the question stays open"
        assert detail.detail is not None
        assert detail.detail.row.state == "needs_attention"
        assert app.system.waiting == 9_999 + SYSTEM.queues[1].depth
        assert alerts(app) == ["Tall og Tast Regnskap needs attention: press ! to open it."]
        # `!` asks to answer first rather than open a screen over the question
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is detail


async def test_the_home_screen_behind_a_dialog_stays_fresh_too() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")  # the keys: a dialog over the organizations
        home = app.screen_stack[0]
        assert isinstance(home, HomeScreen)
        needs_attention(source, 7)
        await refreshed(app, pilot)
        assert home.overview is not None
        assert {o.id for o in home.overview.orgs if o.state == "needs_attention"} == {4, 7}
        table = home.query_one(OrgTable)
        assert "needs attention" in str(table.get_cell("7", "state"))
        assert len(alerts(app)) == 1
        await pilot.press("escape", "exclamation_mark")
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.org_id == 7


async def test_the_key_says_so_when_there_is_no_alert_yet() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, HomeScreen)
        assert [n.message for n in app._notifications] == ["No alert yet."]
