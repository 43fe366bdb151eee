"""A SAF-T organization's files: one row per import, with its period and control totals."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from tui import format as fmt
from tui.views import FileRow
from tui.widgets.table import Table

COLUMNS = (
    ("file", "File"),
    ("period", "Period"),
    ("transactions", "Transactions"),
    ("postings", "Postings"),
    ("debit", "Total debit"),
    ("credit", "Total credit"),
    ("state", "State"),
)
#: how a file's state reads, and its style
STATES = {
    "queued": ("waiting for a worker", "table--wait"),
    "running": ("importing", "table--busy"),
    "done": ("imported: totals match", "table--ok"),
    "invalid": ("refused", "table--bad"),
    "failed": ("failed", "table--bad"),
}


class FileTable(Table):
    """One row per submitted file, newest first; the row key is the import id."""

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in COLUMNS:
            self.add_column(heading, key=key)

    def show_files(self, files: Sequence[FileRow]) -> None:
        """Show these files in this order."""
        self.show([(str(f.id), self._row_cells(f)) for f in files])

    def _row_cells(self, row: FileRow) -> tuple[object, ...]:
        label, look = file_state(row)
        return (
            Text(row.name, overflow="ellipsis", no_wrap=True, end=""),
            fmt.period(row.period_start, row.period_end),
            Text(fmt.count(row.transactions), justify="right", end=""),
            Text(fmt.count(row.postings), justify="right", end=""),
            Text(fmt.money(row.total_debit), justify="right", end=""),
            Text(fmt.money(row.total_credit), justify="right", end=""),
            self.look(label, look),
        )


def file_state(row: FileRow) -> tuple[str, str]:
    """How a file's state reads (with how far a running import got), and its look."""
    label, look = STATES.get(row.state, (row.state, "table--muted"))
    if row.state == "running" and row.bytes_total:
        label = f"importing: {int(100 * row.bytes_read / row.bytes_total)}% read"
    return label, look
