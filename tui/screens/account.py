"""Enter on an account of the trial balance: its months of the year with their totals, and the
postings of the month under the cursor; Enter on a posting shows its voucher."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Label

from tui import format as fmt
from tui.messages import MonthsRefreshed, PostingsRefreshed
from tui.screens.base import LiveScreen
from tui.widgets.month_table import MonthTable
from tui.widgets.posting_table import PostingTable
from tui.widgets.status_bar import StatusBar


class AccountScreen(LiveScreen):
    """One account of one year: months on the left, the chosen month's postings on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding(
            "enter", "open", "Open", tooltip="On a month: its postings; on a posting: its voucher"
        ),
    ]

    def __init__(
        self, org_id: int, org_name: str, account: str, name: str | None, year: int
    ) -> None:
        super().__init__()
        self.org_id = org_id
        self.org_name = org_name
        self.account = account
        self.account_title = f"{account} {name}" if name else account
        self.year = year
        #: the month whose postings are shown
        self.month: dt.date | None = None

    def compose(self) -> ComposeResult:
        """Status, the months beside the postings, keys."""
        yield StatusBar(f"Organizations › {self.org_name} › {self.year} › {self.account_title}")
        with Horizontal(id="account-main"):
            yield MonthTable(id="months")
            yield PostingTable(id="postings")
        yield Label("", id="postings-total", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        """Keys go to the months."""
        self.query_one(MonthTable).focus()

    def tick(self) -> None:
        """Postings change only with a sync: read them when the screen opens, not on the timer."""

    def refresh_data(self) -> None:
        """Read the months (in a worker)."""
        self._load_months()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load_months(self) -> None:
        found = await self.source.account_months(self.org_id, self.account, self.year)
        self.post_message(MonthsRefreshed(found))

    def on_months_refreshed(self, message: MonthsRefreshed) -> None:
        """Show the months; the first one's postings until another is chosen."""
        self.query_one(MonthTable).show_months(message.months)
        count = sum(m.count for m in message.months)
        self.query_one(StatusBar).note = f"{fmt.count(count)} posting(s) in {self.year}"
        if not message.months:
            self.query_one("#postings-total", Label).update(
                Text(f"Account {self.account} has no postings in {self.year}.")
            )
        elif self.month is None:
            self._choose(message.months[0].month)

    def _choose(self, month: dt.date) -> None:
        self.month = month
        self._load_postings(month)

    @work(exclusive=True, group="postings", exit_on_error=False)
    async def _load_postings(self, month: dt.date) -> None:
        found = await self.source.account_postings(self.org_id, self.account, month)
        self.post_message(PostingsRefreshed(found))

    def on_postings_refreshed(self, message: PostingsRefreshed) -> None:
        """Show the month's postings and their total."""
        found = message.postings
        self.query_one(PostingTable).show_postings(found)
        net = sum((p.amount for p in found), start=Decimal(0))
        month = "" if self.month is None else f"{self.month:%Y-%m}"
        self.query_one("#postings-total", Label).update(
            Text(f"{month}: {fmt.count(len(found))} posting(s), net {fmt.money(net)}")
        )

    @on(DataTable.RowHighlighted, "#months")
    def month_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The postings follow the cursor among the months."""
        key = event.row_key.value
        if key is not None:
            month = dt.date.fromisoformat(f"{key}-01")
            if month != self.month:
                self._choose(month)

    def action_open(self) -> None:
        """A month: go to its postings; a posting: show its voucher."""
        postings = self.query_one(PostingTable)
        if self.query_one(MonthTable).has_focus:
            postings.focus()
            return
        posting = postings.current_posting
        if posting is None:
            return
        if posting.voucher_id is None:
            self.notify("This posting carries no voucher.", severity="warning")
            return
        from tui.screens.voucher import VoucherScreen

        self.app.push_screen(VoucherScreen(self.source, self.org_id, posting.voucher_id))

    @on(DataTable.RowSelected)
    def row_selected(self) -> None:
        """Enter on a month or a posting."""
        self.action_open()

    def action_back(self) -> None:
        """Esc: from the postings to the months first, then back."""
        if self.query_one(PostingTable).has_focus:
            self.query_one(MonthTable).focus()
        else:
            self.dismiss()
