"""`b` on an organization: its trial balance of a year, proven against the source or not; `[`
and `]` switch the year, Enter opens an account's postings by month."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Label

from shared.ledger.reports import TrialBalanceReport
from tui import format as fmt
from tui.messages import TrialBalanceRefreshed
from tui.screens.base import LiveScreen
from tui.views import TrialBalanceView
from tui.widgets.status_bar import StatusBar
from tui.widgets.trial_balance_table import TrialBalanceTable

#: accounts named in the heading at most when they differ
NAMED_AT_MOST = 4


def when(at: dt.datetime | None, now: dt.datetime) -> str:
    """`2025-03-14 12:00 (1h 30m ago)`; empty when unknown."""
    if at is None:
        return ""
    return f"{at.astimezone():%Y-%m-%d %H:%M} ({fmt.ago(at, now)})"


def heading(view: TrialBalanceView) -> tuple[str, str]:
    """What the year is (proven, not, not computed), and the look of it: ok, bad or wait."""
    report = view.report
    if report is None:
        return "No year is held yet: a trial balance comes once a year is synchronized.", "wait"
    if not report.computed:
        return (
            f"{report.year}: no trial balance yet. It is computed when the year is proven "
            f"against {report.source} after its sync.",
            "wait",
        )
    checked = when(report.checked_at, view.at)
    if report.proven:
        return (
            f"{report.year}: proven against {report.source}{' on ' + checked if checked else ''}.",
            "ok",
        )
    checked = f", checked {checked}" if checked else ""
    return (
        f"{report.year}: NOT proven against {report.source}{checked}: {_differing(report)}.",
        "bad",
    )


def _differing(report: TrialBalanceReport) -> str:
    differing = report.differing
    named = ", ".join(
        f"{x.account} by {fmt.money(x.difference)}" for x in differing[:NAMED_AT_MOST]
    )
    more = f" and {len(differing) - NAMED_AT_MOST} more" if len(differing) > NAMED_AT_MOST else ""
    many = "accounts differ" if len(differing) != 1 else "account differs"
    return f"{len(differing)} {many} ({named}{more})"


def year_strip(view: TrialBalanceView) -> str:
    """The years held, oldest first, the one shown in brackets: `2022  [2023]  2024`."""
    shown = None if view.report is None else view.report.year
    return "  ".join(f"[{y}]" if y == shown else str(y) for y in reversed(view.years))


class TrialBalanceScreen(LiveScreen):
    """One organization's trial balance of a year, account by account."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding(
            "enter",
            "open_account",
            "Postings",
            tooltip="The postings of the account under the cursor, month by month",
        ),
        Binding(
            "left_square_bracket",
            "earlier",
            "Earlier year",
            key_display="[",
            tooltip="The trial balance of the year before",
        ),
        Binding(
            "right_square_bracket",
            "later",
            "Later year",
            key_display="]",
            tooltip="The trial balance of the year after",
        ),
    ]

    view: reactive[TrialBalanceView | None] = reactive(None, always_update=True)

    def __init__(self, org_id: int, org_name: str, year: int | None = None) -> None:
        super().__init__()
        self.org_id = org_id
        self.org_name = org_name
        #: the year asked for (None: the newest held)
        self.year = year

    def compose(self) -> ComposeResult:
        """Status, heading, years, the accounts, keys."""
        yield StatusBar(f"Organizations › {self.org_name} › Trial balance")
        yield Label("Reading the trial balance…", id="tb-head")
        yield Label("", id="tb-years", classes="hint")
        yield TrialBalanceTable(id="trial-balance")
        yield Footer()

    def on_mount(self) -> None:
        """Keys go to the accounts."""
        self.query_one(TrialBalanceTable).focus()

    def refresh_data(self) -> None:
        """Read the year (in a worker)."""
        self._load()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load(self) -> None:
        found = await self.source.trial_balance(self.org_id, self.year)
        self.post_message(TrialBalanceRefreshed(found))

    def on_trial_balance_refreshed(self, message: TrialBalanceRefreshed) -> None:
        """Show it; an organization removed meanwhile closes the screen."""
        if message.view is None:
            self.notify(f"Organization #{self.org_id} no longer exists.")
            self.dismiss()
            return
        self.view = message.view

    def watch_view(self, before: TrialBalanceView | None, view: TrialBalanceView | None) -> None:
        """Heading, years and accounts; another year starts the table afresh."""
        if view is None:
            return
        report = view.report
        self.year = None if report is None else report.year
        text, look = heading(view)
        head = self.query_one("#tb-head", Label)
        head.update(Text(text))
        for kind in ("ok", "bad", "wait"):
            head.set_class(kind == look, f"-{kind}")
        self.query_one("#tb-years", Label).update(
            Text(f"Years: {year_strip(view)}   ([ and ] switch)" if view.years else "")
        )
        table = self.query_one(TrialBalanceTable)
        shown = None if before is None or before.report is None else before.report.year
        if shown != self.year:
            table.forget()
        table.show_lines(() if report is None else report.lines)
        status = self.query_one(StatusBar)
        status.at = view.at
        status.note = "" if report is None else f"{len(report.lines)} account(s)"

    def _step(self, by: int) -> None:
        view = self.view
        if view is None or view.report is None:
            return
        years = sorted(view.years)
        index = years.index(view.report.year) + by
        if not 0 <= index < len(years):
            self.notify(f"No {'earlier' if by < 0 else 'later'} year is held.")
            return
        self.year = years[index]
        self._load()

    def action_earlier(self) -> None:
        """The year before."""
        self._step(-1)

    def action_later(self) -> None:
        """The year after."""
        self._step(+1)

    def action_open_account(self) -> None:
        """The account under the cursor, month by month."""
        from tui.screens.account import AccountScreen

        view, account = self.view, self.query_one(TrialBalanceTable).current_key
        if view is None or view.report is None or account is None:
            return
        line = next((x for x in view.report.lines if x.account == account), None)
        name = line.name if line else None
        self.app.push_screen(
            AccountScreen(self.org_id, self.org_name, account, name, view.report.year)
        )

    @on(DataTable.RowSelected, "#trial-balance")
    def row_selected(self) -> None:
        """Enter on an account opens it."""
        self.action_open_account()
