"""A year's trial balance: account, name, type, opening, debit, credit, closing, difference;
the accounts that differ from the source marked."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.text import Text

from shared.ledger.reports import TrialBalanceLine
from tui import format as fmt
from tui.widgets.table import Table

COLUMNS = (
    ("account", "Account"),
    ("name", "Name"),
    ("type", "Type"),
    ("opening", "Opening"),
    ("debit", "Debit"),
    ("credit", "Credit"),
    ("closing", "Closing"),
    ("difference", "Difference"),
)
#: characters of an account's name shown
NAME_WIDTH = 32
#: what marks an account whose closing differs from the source's
DIFFERS = "≠ "


def right(amount: Decimal) -> Text:
    """An amount, right-aligned."""
    return Text(fmt.money(amount), justify="right", end="")


class TrialBalanceTable(Table):
    """One row per account, in account order; the row key is the account number."""

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in COLUMNS:
            self.add_column(heading, key=key)

    def show_lines(self, lines: Sequence[TrialBalanceLine]) -> None:
        """Show these accounts in this order."""
        self.show([(line.account, self._line_cells(line)) for line in lines])

    def _line_cells(self, line: TrialBalanceLine) -> tuple[object, ...]:
        if line.agrees:
            account: object = line.account
            difference = right(line.difference)
        else:
            account = self.look(line.account, "table--bad")
            difference = self.look(DIFFERS + fmt.money(line.difference), "table--bad")
            difference.justify = "right"
        return (
            account,
            fmt.one_line(line.name or "", NAME_WIDTH),
            fmt.label((line.account_type or "").lower()),
            right(line.opening),
            right(line.debit),
            right(line.credit),
            right(line.closing),
            difference,
        )
