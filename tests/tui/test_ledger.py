"""The general ledger in the UI on fixed data: `b` on an organization opens its trial balance,
`[` and `]` switch the year, Enter goes to an account's months and postings, and to a voucher."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Label
from tui_fake import LEDGER, FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.screens.account import AccountScreen
from tui.screens.detail import DetailScreen
from tui.screens.keys import KeysScreen
from tui.screens.ledger import TrialBalanceScreen
from tui.screens.voucher import VoucherScreen
from tui.widgets.month_table import MonthTable
from tui.widgets.posting_table import PostingTable
from tui.widgets.timeline import Timeline
from tui.widgets.trial_balance_table import TrialBalanceTable

SIZE = (160, 45)


def _rows(app: LedgersyncApp) -> list[tuple[str, str]]:
    """The keys screen's rows: (key, what it does)."""
    table = app.screen.query_one("#keys", DataTable)
    found = (table.get_row_at(i) for i in range(table.row_count))
    return [(str(key), str(what)) for key, what in found]


def _text(app: LedgersyncApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


async def _trial_balance(pilot: Pilot[Any], app: LedgersyncApp) -> TrialBalanceTable:
    """From home to an organization, then `b`."""
    await until(pilot, "the organizations", lambda: app.screen.query("OrgTable"))
    await pilot.press("enter")
    await until(
        pilot,
        "the detail",
        lambda: (
            isinstance(app.screen, DetailScreen) and app.screen.query_one(Timeline).row_count > 0
        ),
    )
    await pilot.press("b")
    await until(pilot, "the trial balance", lambda: isinstance(app.screen, TrialBalanceScreen))
    table = app.screen.query_one(TrialBalanceTable)
    await until(pilot, "its accounts", lambda: table.row_count > 0)
    return table


async def test_b_shows_the_newest_year_proven_and_brackets_switch_years() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        table = await _trial_balance(pilot, app)
        assert table.row_count == len(LEDGER[2024])
        assert [row.value for row in table.rows] == [x.account for x in LEDGER[2024]]
        assert _text(app, "#tb-head").startswith(
            "2024: proven against Tripletex on 2025-03-14 12:00"
        )
        assert "2023  [2024]" in _text(app, "#tb-years")
        await pilot.press("left_square_bracket")
        await until(pilot, "2023", lambda: _text(app, "#tb-head").startswith("2023: NOT proven"))
        assert "2 accounts differ (1920 by" in _text(app, "#tb-head")
        assert table.row_count == len(LEDGER[2023])
        difference = table.get_cell("1920", "difference")
        assert str(difference).startswith("≠ ")
        assert str(table.get_cell("1500", "difference")).strip() == "0.00"
        await pilot.press("left_square_bracket")
        await until(
            pilot,
            "the note",
            lambda: any("No earlier year" in n.message for n in app._notifications),
        )
        await pilot.press("right_square_bracket")
        await until(pilot, "2024 again", lambda: _text(app, "#tb-head").startswith("2024: proven"))


async def test_enter_goes_to_an_accounts_months_postings_and_voucher() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await _trial_balance(pilot, app)
        await pilot.press("enter")
        await until(pilot, "the account", lambda: isinstance(app.screen, AccountScreen))
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        assert (screen.account, screen.year) == ("1500", 2024)
        months = screen.query_one(MonthTable)
        await until(pilot, "the months", lambda: months.row_count == 3)
        await pilot.press("j", "j")
        postings = screen.query_one(PostingTable)
        await until(pilot, "March's postings", lambda: postings.row_count == 3)
        assert ("account_postings", 1, "1500", dt.date(2024, 3, 1)) in source.actions
        assert "2024-03: 3 posting(s), net 0.00" in _text(app, "#postings-total")
        await pilot.press("enter")
        assert postings.has_focus
        await pilot.press("enter")
        await until(pilot, "the voucher", lambda: isinstance(app.screen, VoucherScreen))
        lines = app.screen.query_one(PostingTable)
        await until(pilot, "its lines", lambda: lines.row_count == 3)
        assert _text(app, "#voucher-title") == "Voucher 1 (2024) · Utgående faktura · Faktura 1001"
        assert "the voucher balances" in _text(app, "#voucher-total")
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert months.has_focus
        await pilot.press("escape")
        assert isinstance(app.screen, TrialBalanceScreen)


async def test_the_keys_screen_lists_the_trial_balance_keys() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await _trial_balance(pilot, app)
        await pilot.press("question_mark")
        await until(pilot, "the keys", lambda: isinstance(app.screen, KeysScreen))
        rows = _rows(app)
        assert ("[", "The trial balance of the year before") in rows
        assert ("]", "The trial balance of the year after") in rows
        doing = {what for _, what in rows}
        assert "The postings of the account under the cursor, month by month" in doing
        await pilot.press("escape", "escape")
        await pilot.press("question_mark")
        await until(pilot, "the detail's keys", lambda: isinstance(app.screen, KeysScreen))
        tooltip = "The trial balance of the year under the cursor, proven against the source"
        assert ("b", tooltip) in _rows(app)
