"""An account's months of a year: postings, debit, credit and net of each."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from shared.ledger.reports import MonthTotal
from tui.widgets.table import Table
from tui.widgets.trial_balance_table import right

COLUMNS = (
    ("month", "Month"),
    ("count", "Postings"),
    ("debit", "Debit"),
    ("credit", "Credit"),
    ("net", "Net"),
)


class MonthTable(Table):
    """One row per month that holds postings; the row key is the month as YYYY-MM."""

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in COLUMNS:
            self.add_column(heading, key=key)

    def show_months(self, months: Sequence[MonthTotal]) -> None:
        """Show these months in this order."""
        self.show([(f"{m.month:%Y-%m}", _cells(m)) for m in months])


def _cells(m: MonthTotal) -> tuple[object, ...]:
    count = Text(str(m.count), justify="right", end="")
    return (f"{m.month:%Y-%m}", count, right(m.debit), right(m.credit), right(m.debit - m.credit))
