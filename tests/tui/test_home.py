"""The home screen on fixed data: a refresh never moves the cursor; filter, sort, pause."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Label
from tui_fake import ORGS, SYSTEM, FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.format import count
from tui.screens.home import HomeScreen
from tui.views import OrgRow, Progress
from tui.widgets.org_table import OrgTable


def many_orgs(n: int) -> list[OrgRow]:
    """`n` organizations importing, each with some progress."""
    return [
        OrgRow(
            i,
            f"Org {i:03d}",
            "api",
            "tripletex",
            f"Company {i}",
            "syncing",
            None,
            None,
            Progress(10_000, i * 10, i / 60),
        )
        for i in range(1, n + 1)
    ]


def cell(table: OrgTable, org_id: int, column: str) -> str:
    """A cell's text."""
    return str(table.get_cell(str(org_id), column))


async def test_a_refresh_updates_cells_but_never_moves_the_cursor_or_the_scroll() -> None:
    source = FakeSource(many_orgs(80))
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(150, 30)) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(pilot, "the first rows", lambda: table.row_count == 80)
        for _ in range(50):
            await pilot.press("j")
        await pilot.pause()
        on, scrolled = table.current_id, table.scroll_y
        assert on == 51
        assert scrolled > 0, "the cursor went below the fold"

        source.orgs = [
            replace(o, progress=replace(o.progress, imported=9_999)) for o in source.orgs
        ]
        app.tick()
        await until(pilot, "the new numbers", lambda: count(9_999) in cell(table, 1, "postings"))
        assert (table.current_id, table.scroll_y) == (on, scrolled), "nothing moved"

        source.orgs.insert(
            0,
            OrgRow(
                0,
                "A newcomer",
                "api",
                "tripletex",
                None,
                "validating",
                None,
                None,
                Progress(None, 0),
            ),
        )
        line = table.cursor_row - table.scroll_y
        app.tick()
        await until(pilot, "the newcomer", lambda: table.row_count == 81)
        await pilot.pause()
        assert table.current_id == on, "the cursor stays on its organization"
        assert table.cursor_row - table.scroll_y == line, "which stays on its line of the screen"


async def test_filter_narrows_as_you_type_and_esc_brings_everything_back() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(pilot, "the rows", lambda: table.row_count == len(ORGS))
        await pilot.press("slash", *"attention")
        await until(pilot, "the filter", lambda: table.row_count == 1)
        assert table.current_id == 4, "only the organization that needs attention"
        await pilot.press("escape")
        await until(pilot, "every row again", lambda: table.row_count == len(ORGS))


async def test_sort_goes_column_by_column_and_s_twice_sorts_by_name() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(pilot, "the rows", lambda: table.row_count == len(ORGS))
        await pilot.press("s")
        await pilot.pause()
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert names == sorted(names, key=str.casefold)
        await pilot.press("S")
        await pilot.pause()
        reversed_names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert reversed_names == names[::-1]


class CountingSource(FakeSource):
    """Counts home refreshes."""

    reads = 0

    async def overview(self):  # type: ignore[no-untyped-def]
        self.reads += 1
        return await super().overview()


async def test_p_pauses_the_refresh_and_says_so() -> None:
    source = CountingSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, "the first refresh", lambda: source.reads >= 1)
        await pilot.press("p")
        assert app.paused
        before = source.reads
        app.tick()
        await pilot.pause()
        assert source.reads == before, "a paused UI reads nothing"
        assert "paused" in str(app.screen.query_one("#refresh").render())
        await pilot.press("p")
        await until(pilot, "a refresh after resuming", lambda: source.reads > before)
        assert isinstance(app.screen, HomeScreen)


async def test_names_with_brackets_show_as_typed_never_as_markup() -> None:
    name = "Lager [bold]Nord[/] AS [x"
    source = FakeSource([replace(ORGS[3], name=name, company=name, reason=f"[red]{name}")])
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.screen.query_one("#org-pane")
        await until(pilot, "the pane", lambda: name in str(pane.render()))
        assert f"[red]{name}" in str(pane.render())
        await pilot.press("enter")
        await until(
            pilot,
            "the detail",
            lambda: (
                app.screen.query("#org-head")
                and name in str(app.screen.query_one("#org-head").render())
            ),
        )


async def test_the_header_says_when_organizations_are_stalled() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(150, 30)) as pilot:
        queues = app.screen.query_one("#queues", Label)
        await until(pilot, "the queue depth", lambda: "queue" in str(queues.render()))
        assert "stalled" not in str(queues.render())
        source.system_view = replace(SYSTEM, stalled=("Havbris Sjømat AS",))
        app.tick()
        await until(pilot, "the stall", lambda: "1 stalled" in str(queues.render()))
        assert queues.has_class("-bad")
