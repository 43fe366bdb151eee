"""The home table: one row per organization, with its progress bar, rate and ETA."""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import ClassVar

from rich.text import Text

from tui import format as fmt
from tui.listing import COLUMNS
from tui.views import OrgRow
from tui.widgets.table import Cells, Table, as_text

#: cells of the progress bar
BAR_WIDTH = 10
#: the widths of the columns before the last error, with their padding
FIXED_WIDTH = sum((width or 0) + 2 for _, _, width in COLUMNS)
#: the last error gets the width the other columns leave, but at least this
ERROR_MIN_WIDTH = 12
#: before the name of a marked organization
MARK = "● "


class OrgTable(Table):
    """Organizations; the row key is the organization's id; marked ones show a mark."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Table.COMPONENT_CLASSES | {"table--marked"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: per organization: the row, the error width, its mark and the cells built from them
        self._built: dict[int, tuple[OrgRow, int, bool, Cells]] = {}

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading, width in COLUMNS:
            self.add_column(heading, key=key, width=width)

    @property
    def current_id(self) -> int | None:
        """The organization under the cursor."""
        key = self.current_key
        return None if key is None else int(key)

    def cells(self, row: OrgRow, marked: bool = False) -> Cells:
        """The row's cells, in the order of `COLUMNS`."""
        progress = row.progress
        widths = {key: width or 0 for key, _, width in COLUMNS}
        cells = (
            Text(str(row.id), justify="right", end=""),
            self._name_cell(row, widths["name"], marked),
            row.method,
            row.provider or "",
            fmt.one_line(row.company, widths["company"]) or self.look("–", "table--muted"),
            self._state(row),
            self.bar(fmt.org_fraction(row), BAR_WIDTH, row.state),
            Text(fmt.postings(progress), justify="right", end=""),
            Text(fmt.rate(progress), justify="right", end=""),
            Text(fmt.eta(progress, row.state), justify="right", end=""),
            self._problem(row),
        )
        return tuple(map(as_text, cells))

    def _name_cell(self, row: OrgRow, width: int, marked: bool) -> Text | str:
        """The name; a marked organization's with the mark before it."""
        if not marked:
            return fmt.one_line(row.name, width)
        return self.look(MARK + fmt.one_line(row.name, width - len(MARK)), "table--marked")

    def _state(self, row: OrgRow) -> Text:
        """The state; chunks that failed, and a cancel on its way, beside it."""
        parts = [self.state(row.state)]
        if row.fresh:  # how a synced organization is kept fresh: by webhooks, or by polls
            parts.append(self.look(f" · {row.fresh}", "table--muted"))
        if row.chunks_failed:
            parts.append(self.look(f" ✗{row.chunks_failed}", "table--bad"))
        if row.cancel_requested and row.state != "cancelled":
            parts.append(self.look(" stopping", "table--muted"))
        return Text.assemble(*parts, end="")

    def _problem(self, row: OrgRow) -> Text:
        """The reason a person is needed, in red; an older error, muted."""
        width = self._error_width()
        if row.state == "needs_attention":
            return self.look(fmt.one_line(row.reason or row.last_error, width), "table--bad")
        return self.look(fmt.one_line(row.last_error, width), "table--muted")

    def _error_width(self) -> int:
        """What the other columns leave of the table's width (less the scrollbar)."""
        return max(ERROR_MIN_WIDTH, self.size.width - FIXED_WIDTH - 4)

    async def show_orgs(self, rows: Sequence[OrgRow], marked: Set[int] = frozenset()) -> None:
        """Show these organizations in this order, the `marked` ones marked (cells are built
        again only for changes, and slice by slice, so a key pressed meanwhile is answered)."""
        width = self._error_width()
        by_key = {str(row.id): row for row in rows}
        seen_before = self._built
        built: dict[int, tuple[OrgRow, int, bool, Cells]] = {}

        def cells_of(key: str) -> Cells:
            row = by_key[key]
            mark = row.id in marked
            seen = seen_before.get(row.id)
            if seen is None or seen[1:3] != (width, mark) or seen[0] != row:
                seen = (row, width, mark, self.cells(row, mark))
            built[row.id] = seen
            return seen[3]

        self._built = built
        await self.show_in_slices(list(by_key), cells_of)
