"""The UI's tables: j/k, states and progress bars styled from `app.tcss`, rows updated in place.

Rows are keyed, and a refresh changes only the cells that changed, so it never moves the cursor
or the scroll.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui import format as fmt

#: states by the look they get (the component class that styles them)
STATE_LOOK: dict[str, str] = {
    "synced": "table--ok",
    "needs_attention": "table--bad",
    "failed": "table--bad",
    "syncing": "table--busy",
    "importing": "table--busy",
    "reconciling": "table--busy",
    "validating": "table--busy",
    "running": "table--busy",
    "choose_company": "table--wait",
    "awaiting_file": "table--wait",
    "queued": "table--wait",
    "cancelled": "table--muted",
}

Cells = tuple[Any, ...]


class Table(DataTable[Any]):
    """A row-cursor table whose rows are keyed by id and refreshed in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "table--ok",
        "table--bad",
        "table--busy",
        "table--wait",
        "table--muted",
        "table--bar-done",
        "table--bar-todo",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._cells: dict[str, Cells] = {}

    def look(self, text: str, kind: str) -> Text:
        """`text` in the style of a component class of `app.tcss`."""
        return Text(text, style=self.get_component_rich_style(kind, partial=True), end="")

    def state(self, state: str) -> Text:
        """A state, coloured by what it means."""
        return self.look(fmt.label(state), STATE_LOOK.get(state, "table--muted"))

    def bar(self, done: float | None, width: int, state: str) -> Text:
        """A progress bar with its percentage, coloured like the state when it is not busy."""
        full, empty, percent = fmt.bar(done, width)
        look = STATE_LOOK.get(state, "table--bar-done")
        fill = "table--bar-done" if look in ("table--busy", "table--wait") else look
        return Text.assemble(
            self.look(full, fill), self.look(empty, "table--bar-todo"), " ", percent, end=""
        )

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, rows: Sequence[tuple[str, Cells]]) -> None:
        """Make the table hold `rows` (key, cells) in this order; the cursor stays on its row."""
        keep = self.current_key
        wanted = {key for key, _ in rows}
        for key in [k for k in self._cells if k not in wanted]:
            self.remove_row(key)
            del self._cells[key]
        columns = [column.key for column in self.ordered_columns]
        for key, cells in rows:
            old = self._cells.get(key)
            if old is None:
                self.add_row(*cells, key=key)
            elif old != cells:
                for column, was, now in zip(columns, old, cells, strict=True):
                    if was != now:
                        self.update_cell(key, column, now, update_width=True)
            self._cells[key] = cells
        self._order([key for key, _ in rows], keep)

    def _order(self, keys: list[str], keep: str | None) -> None:
        """Put the rows in `keys` order (when they are not) and the cursor back on `keep`.

        The first column of every table shows the row's key, which the sort goes by.
        """
        current = [row.key.value for row in self.ordered_rows]
        if current != keys and self.ordered_columns:
            position = {key: index for index, key in enumerate(keys)}
            first = self.ordered_columns[0].key
            self.sort(first, key=lambda cell: position[str(cell)])
        if keep is not None and keep in self._cells:
            index = self.get_row_index(keep)
            if index != self.cursor_row:
                # rows came or went above: the cursor's row keeps its line on the screen
                line = self.scroll_y + index - self.cursor_row
                self.move_cursor(row=index, animate=False)
                self.call_after_refresh(self.scroll_to, y=line, animate=False)

    def forget(self) -> None:
        """Drop every row (a new filter or organization), keeping the columns."""
        self.clear()
        self._cells.clear()
