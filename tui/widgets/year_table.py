"""An organization's years: progress bar, postings, chunks, rate and ETA per year."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from tui import format as fmt
from tui.views import YearRow
from tui.widgets.table import Table

#: cells of the progress bar
BAR_WIDTH = 24
COLUMNS = (
    ("year", "Year"),
    ("state", "State"),
    ("progress", "Progress"),
    ("postings", "Postings"),
    ("chunks", "Chunks done / total"),
    ("failed", "Failed"),
    ("rate", "Rate"),
    ("eta", "ETA"),
    ("note", "Note"),
)
#: what a file import has no use for: it comes in one piece, not in chunks at a rate
NOT_FOR_FILES = ("chunks", "failed", "rate", "eta")


class YearTable(Table):
    """One row per year, newest first; the row key is the year."""

    #: whether the years come from SAF-T files (no chunks, rate or ETA columns)
    files = False

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in COLUMNS:
            self.add_column(heading, key=key)

    def show_files(self) -> None:
        """From now on the years are a file import's: the chunk, rate and ETA columns go."""
        if self.files:
            return
        self.files = True
        for key in NOT_FOR_FILES:
            self.remove_column(key)

    @property
    def current_year(self) -> int | None:
        """The year under the cursor."""
        key = self.current_key
        return None if key is None else int(key)

    def show_years(self, years: Sequence[YearRow]) -> None:
        """Show these years in this order."""
        self.show([(str(year.year), self._year_cells(year)) for year in years])

    def _year_cells(self, year: YearRow) -> tuple[object, ...]:
        progress = year.progress
        if self.files:
            return (
                str(year.year),
                self.state(year.state),
                self.bar(fmt.fraction(progress, year.state), BAR_WIDTH, year.state),
                Text(_postings(year), justify="right", end=""),
                self._note(year),
            )
        failed = self.look(str(year.chunks_failed), "table--bad") if year.chunks_failed else ""
        return (
            str(year.year),
            self.state(year.state),
            self.bar(fmt.fraction(progress, year.state), BAR_WIDTH, year.state),
            Text(_postings(year), justify="right", end=""),
            Text(f"{year.chunks_done} / {year.chunks_total}", justify="right", end=""),
            failed,
            Text(fmt.rate(progress), justify="right", end=""),
            Text(fmt.eta(progress, year.state), justify="right", end=""),
            self._note(year),
        )

    def _note(self, year: YearRow) -> object:
        """What differs from Tripletex, or why the year is not proven, or a year off its list."""
        if year.difference:
            return self.look(fmt.one_line(year.difference, 60), "table--bad")
        if year.proven is False and year.proof_note:
            return self.look(fmt.one_line(year.proof_note, 60), "table--wait")
        if year.listed is False and year.progress.imported:
            return "holds postings, but has no annual account in Tripletex"
        return ""


def _postings(year: YearRow) -> str:
    """Postings imported (of the last import's count), and up to which day while importing."""
    parts = (fmt.postings(year.progress), fmt.through(year.covered_through, year.state))
    return " · ".join(part for part in parts if part)
