"""The tables refresh in place: a cell that grows widens its column and is shown whole."""

from __future__ import annotations

from dataclasses import replace

from tui_fake import YEARS, FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.format import count
from tui.screens.detail import DetailScreen
from tui.views import OrgDetail, Progress
from tui.widgets.year_table import YearTable


class GrowingSource(FakeSource):
    """An organization whose first year's count grows from nothing to millions."""

    imported = 0

    async def organization(self, org_id: int) -> OrgDetail | None:
        detail = await super().organization(org_id)
        assert detail is not None
        first = replace(YEARS[0], progress=Progress(self.imported, self.imported))
        return replace(detail, years=(first, *YEARS[1:]))


def screen_text(table: YearTable) -> str:
    """What the table shows, line by line."""
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_a_cell_that_grows_is_shown_whole_after_a_refresh() -> None:
    source = GrowingSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("enter")
        await until(
            pilot,
            "the years",
            lambda: (
                isinstance(app.screen, DetailScreen)
                and app.screen.query_one(YearTable).row_count == len(YEARS)
            ),
        )
        table = app.screen.query_one(YearTable)
        for imported in (7, 1_234, 12_345_678, 3):
            source.imported = imported
            app.tick()
            shown = f"{count(imported)} / {count(imported)}"
            await until(pilot, f"{shown} on screen", lambda s=shown: s in screen_text(table))
