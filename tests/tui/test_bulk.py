"""Bulk actions on the home screen (issue 18): marks with space, then sync, checks or retry of
every marked organization after one question that names them."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from tui_fake import FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.screens.base import READ_ONLY_NOTE
from tui.screens.confirm import ConfirmScreen
from tui.widgets.org_table import MARK, OrgTable
from tui.widgets.status_bar import StatusBar

SIZE = (160, 45)


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


@pytest.fixture
def app(source: FakeSource) -> LedgersyncApp:
    """The App on the fake, never refreshing by itself."""
    return LedgersyncApp(source, refresh_s=3600)


async def loaded(pilot: Pilot[Any]) -> OrgTable:
    table = pilot.app.screen.query_one(OrgTable)
    await until(pilot, "the organizations", lambda: table.row_count > 0)
    return table


def marked(table: OrgTable) -> list[int]:
    """The ids of the rows shown with a mark."""
    rows = (table.get_row_at(i) for i in range(table.row_count))
    return [int(str(row[0])) for row in rows if str(row[1]).startswith(MARK)]


def note(app: LedgersyncApp) -> str:
    return app.screen.query_one(StatusBar).note


async def question(pilot: Pilot[Any], *keys: str) -> list[str]:
    """Press `keys`; the lines of the question that comes."""
    await pilot.press(*keys)
    await until(pilot, "the question", lambda: isinstance(pilot.app.screen, ConfirmScreen))
    return str(pilot.app.screen.query_one("#confirm-question").render()).splitlines()


def listed(lines: list[str]) -> list[str]:
    """The organizations a question names, one per line."""
    return [line.removeprefix("  • ") for line in lines if line.startswith("  • ")]


def said(app: LedgersyncApp) -> list[str]:
    return [n.message for n in app._notifications]


async def confirmed(pilot: Pilot[Any], outcome: str) -> None:
    """Answer yes; wait for the sentence that says how it went."""
    await pilot.press("y")
    await until(pilot, "the outcome", lambda: any(outcome in m for m in said(pilot.app)))


async def test_three_marked_are_synced_after_one_question_that_lists_exactly_them(
    source: FakeSource, app: LedgersyncApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        # Given three organizations marked (space marks and moves on)
        await pilot.press("space", "space", "j", "space")
        await pilot.pause()
        assert marked(table) == [1, 2, 4]
        assert note(app).endswith(" · 3 marked")
        # When syncing: one question naming them
        lines = await question(pilot, "ctrl+s")
        assert lines[0] == "Synchronize 3 organizations again?"
        assert listed(lines) == [
            "Bakeriet Brød AS (#1)",
            "Tall og Tast Regnskap (#2)",
            "Havbris Sjømat AS (#4)",
        ]
        # Then no does nothing, and the marks stay
        await pilot.press("n")
        await pilot.pause()
        assert source.actions == []
        assert marked(table) == [1, 2, 4]
        # And yes syncs the three, and unmarks them
        await question(pilot, "ctrl+s")
        await confirmed(pilot, "again")
    assert source.actions == [("resync", 1, None), ("resync", 2, None), ("resync", 4, None)]
    assert "Synchronizing 3 organizations again." in said(app)
    assert marked(table) == []


async def test_checks_of_three_marked_and_of_the_one_under_the_cursor_without_marks(
    source: FakeSource, app: LedgersyncApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        lines = await question(pilot, "j", "j", "c")
        assert listed(lines) == ["Nordlys Eiendom (#3)"]
        await pilot.press("escape")
        lines = await question(pilot, "k", "k", "space", "space", "space", "c")
        assert lines[0] == "Run the troubleshooting checks of 3 organizations?"
        assert listed(lines) == [
            "Bakeriet Brød AS (#1)",
            "Tall og Tast Regnskap (#2)",
            "Nordlys Eiendom (#3)",
        ]
        await confirmed(pilot, "Checks ran")
    assert source.actions == [("run_checks", 1), ("run_checks", 2), ("run_checks", 3)]


async def test_marks_survive_refreshes_and_filters_and_go_with_their_organization(
    source: FakeSource, app: LedgersyncApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("space", "space")
        app.tick()
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert marked(table) == [1, 2]
        await pilot.press("slash", *"havbris")
        await until(pilot, "the filter", lambda: table.row_count == 1)
        assert note(app).endswith(" · 2 marked (2 not shown)")
        await pilot.press("escape")
        await until(pilot, "every row", lambda: table.row_count == len(source.orgs))
        assert marked(table) == [1, 2]
        # When one is removed, its mark goes
        source.orgs = [org for org in source.orgs if org.id != 2]
        app.tick()
        await until(pilot, "the removal", lambda: table.row_count == len(source.orgs))
        assert marked(table) == [1]
        assert note(app).endswith(" · 1 marked")
        # And esc (or ctrl+\) unmarks every one
        await pilot.press("escape")
        await pilot.pause()
        assert marked(table) == []


async def test_one_removed_meanwhile_is_named_and_the_others_are_done(
    source: FakeSource, app: LedgersyncApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await question(pilot, "space", "space", "j", "space", "ctrl+s")
        source.orgs = [org for org in source.orgs if org.id != 2]  # removed, not refreshed yet
        await confirmed(pilot, "again")
    assert source.actions == [("resync", 1, None), ("resync", 4, None)]
    assert said(app)[-1] == (
        "Synchronizing 2 organizations again; not for Tall og Tast Regnskap (removed meanwhile)."
    )


async def test_retry_says_how_many_jobs_and_leaves_permanent_failures_unless_asked(
    source: FakeSource, app: LedgersyncApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        # Given Tall og Tast (a permanent failure), Havbris and Vestland (one each) marked
        lines = await question(pilot, "j", "space", "j", "space", "space", "R")
        assert lines[0] == "Retry 2 failed jobs of 3 organizations?"
        assert listed(lines) == [
            "Tall og Tast Regnskap (#2): 1 permanent failure, left alone",
            "Havbris Sjømat AS (#4): 1 job",
            "Vestland Bygg (#5): 1 job",
        ]
        assert "left alone" in lines[-1]
        # a switches to permanent failures too, and back
        await pilot.press("a")
        await pilot.pause()
        shown = str(app.screen.query_one("#confirm-question").render()).splitlines()
        assert shown[0] == "Retry 3 failed jobs of 3 organizations, permanent failures included?"
        await pilot.press("a")
        await confirmed(pilot, "Retried")
    assert source.actions == [("retry_jobs", ()), ("retry_jobs", (901,)), ("retry_jobs", (903,))]
    assert said(app)[-1] == "Retried 2 jobs of 3 organizations."
    assert [job.id for job in source.jobs_failed] == [902]


async def test_retry_with_permanent_failures_asked_for(
    source: FakeSource, app: LedgersyncApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await question(pilot, "j", "R")
        await pilot.press("a")
        await confirmed(pilot, "Retried")
    assert source.actions == [("retry_jobs", (902,))]


async def test_read_only_hides_and_refuses_marks_and_bulk_actions(source: FakeSource) -> None:
    app = LedgersyncApp(source, read_only=True, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        for key in ("space", "ctrl+s", "c", "R"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen), key
        shown = {
            b.binding.action
            for b in app.screen.active_bindings.values()
            if app.screen.check_action(b.binding.action, ())
        }
        assert shown.isdisjoint({"mark", "unmark", "sync", "checks", "retry"})
        palette = {c.title for c in app.get_system_commands(app.screen)}
        assert palette.isdisjoint({"Mark", "Unmark all", "Sync", "Run checks", "Retry failed"})
        await app.workers.wait_for_complete()
    assert said(app) == [READ_ONLY_NOTE] * 4
    assert marked(table) == []
    assert source.actions == []
