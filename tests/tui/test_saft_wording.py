"""A SAF-T organization's screen speaks of files, not of the API (issue 17)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from textual.widgets import Static
from tui_fake import FILES, FakeSource
from tui_pilot import until

from tui import story
from tui.app import LedgersyncApp
from tui.screens.detail import DetailScreen
from tui.views import Event
from tui.widgets.file_table import FileTable, file_state

SAFT_ORG = 6

SYNCED = Event(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "year_synced", subject="2025")


def test_a_year_stored_from_a_file_is_not_reconciled_with_tripletex() -> None:
    assert "Tripletex" not in story.tell(SYNCED, "saft")
    assert story.tell(SYNCED, "saft") == "Year 2025 stored from the SAF-T file: matches its totals"
    assert story.tell(SYNCED) == "Year 2025 reconciled with Tripletex: synced"


async def test_a_saft_organization_shows_each_file_with_its_period_totals_and_state() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.push_screen(DetailScreen(SAFT_ORG))
        await until(pilot, "the files", lambda: app.screen.query_one(FileTable).row_count == 2)
        table = app.screen.query_one(FileTable)
        rows = [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]
        head = str(app.screen.query_one("#org-head", Static).render())

    assert rows[0][:2] == ["fjellstue-2025.xml", "2025-01-01 – 2025-12-31"]
    assert rows[0][4:] == ["–", "–", "importing: 41% read"]
    assert rows[1][4:] == [
        "48\u2009210\u2009933.50",
        "48\u2009210\u2009933.50",
        "imported: totals match",
    ]
    assert "Tripletex" not in head
    assert "None" not in head


def test_a_file_state_reads_as_words() -> None:
    row = FILES[1]
    assert file_state(row) == ("imported: totals match", "table--ok")
    assert file_state(replace(row, state="invalid"))[0] == "refused"
    assert file_state(replace(row, state="running", bytes_total=0))[0] == "importing"
