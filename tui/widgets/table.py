"""The UI's tables: j/k, states and progress bars styled from `app.tcss`, rows updated in place.

Rows are keyed, and a refresh changes only the cells that changed, so it never moves the cursor
or the scroll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, RowKey

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
#: rows updated between two looks at the keyboard
SLICE = 20
#: rows gone at once beyond which the table is rebuilt rather than trimmed
REBUILD_AFTER = 50


def as_text(cell: object) -> Text:
    """A cell as Text: strings are shown as they are, never read as markup."""
    return cell if isinstance(cell, Text) else Text(str(cell), end="")


def _same(a: Text, b: Text) -> bool:
    """Whether two cells look the same (Text's own == ignores the base style)."""
    return a.plain == b.plain and a.style == b.style and a.spans == b.spans


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
        #: rows whose cells changed since they were last painted
        self._dirty: set[RowKey] = set()

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
        cells = dict(rows)
        for _ in self._apply([key for key, _ in rows], cells.__getitem__):
            pass

    async def show_in_slices(self, keys: Sequence[str], cells_of: Callable[[str], Cells]) -> None:
        """`show` for the rows `keys`, letting the event loop answer keys between slices of rows.

        `cells_of` is asked for a row's cells only when its slice comes, so building them is
        sliced too; it returns the very tuple shown before for a row that has not changed.
        """
        for _ in self._apply(keys, cells_of):
            await asyncio.sleep(0)

    def _apply(self, keys: Sequence[str], cells_of: Callable[[str], Cells]) -> Iterator[None]:
        """`show`'s work, pausing after each slice of rows.

        Only the cells that changed are touched, and a column is re-measured only when a new
        cell is wider than it (DataTable re-measures a whole column per widened cell).
        """
        keep = self.current_key
        wanted = set(keys)
        gone = [key for key in self._cells if key not in wanted]
        if len(gone) > REBUILD_AFTER:
            self.forget()  # removing rows one by one costs O(rows) each
        for key in gone if self._cells else ():
            self.remove_row(key)
            del self._cells[key]
        columns = self.ordered_columns
        for n, key in enumerate(keys, 1):
            given = cells_of(key)
            old = self._cells.get(key)
            if given is old:  # the very cells shown already: nothing to compare
                continue
            cells = given if all(isinstance(c, Text) for c in given) else tuple(map(as_text, given))
            if old is None:
                self.add_row(*cells, key=key)
            else:
                for column, was, now in zip(columns, old, cells, strict=True):
                    if _same(was, now):
                        continue
                    if column.auto_width and now.cell_len > column.content_width:
                        self.update_cell(key, column.key, now, update_width=True)
                    else:
                        self._data[RowKey(key)][column.key] = now
                        self._dirty.add(RowKey(key))
            self._cells[key] = cells
            if n % SLICE == 0:
                self._repaint_dirty()
                yield
                keep = self.current_key if keep in self._cells else keep
        self._repaint_dirty()
        self._order(list(keys), keep)

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        """DataTable widens columns on idle but keeps cells rendered at the old width cached
        (a later update used to hide that): render everything again at the new widths."""
        super()._update_column_widths(updated_cells)
        self._update_count += 1
        self.refresh()

    def _repaint_dirty(self) -> None:
        """Forget the rendering of the rows whose cells changed, and only theirs.

        DataTable's `update_cell` bumps a counter that every cache key holds, so one changed
        cell re-renders every visible cell of the table; with hundreds of rows refreshed live
        that is most of a frame. Its caches are keyed by row (key or index): drop those rows'
        entries. `tests/tui/test_tables.py` fails if a Textual upgrade adds another cache.
        """
        if not self._dirty:
            return
        caches: tuple[LRUCache[Any, Any], ...] = (self._cell_render_cache, self._row_render_cache)
        for cache in caches:
            for stale in [k for k in cache.keys() if k[0] in self._dirty]:  # noqa: SIM118
                cache.discard(stale)
        indexes = {self._row_locations.get(key) for key in self._dirty}
        renderables = self._row_renderable_cache  # keyed (update count, row index)
        for stale in [k for k in renderables.keys() if k[1] in indexes]:  # noqa: SIM118
            renderables.discard(stale)
        self._line_cache.clear()
        self._dirty.clear()
        self.refresh()

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
