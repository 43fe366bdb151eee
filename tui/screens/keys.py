"""`?`: every key of the screen in front, and the ones that work everywhere."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

#: keys that work in every list, shown after the screen's own
MOVING: tuple[tuple[str, str], ...] = (
    ("j / ↓", "Down"),
    ("k / ↑", "Up"),
    ("g / G", "First / last row"),
    ("esc", "Back"),
    ("ctrl+p", "Every action, searchable"),
)


class KeysScreen(ModalScreen[None]):
    """The keys of another screen (those its mode allows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", key_display="esc"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        """A table of keys."""
        with Vertical(id="keys-box"):
            yield Label("Keys", id="keys-title")
            yield DataTable(id="keys", cursor_type="none", show_header=False)
            yield Label("esc closes", id="keys-hint")

    def on_mount(self) -> None:
        """Fill the table from the screen's bindings, then the App's."""
        table = self.query_one("#keys", DataTable)
        table.add_columns("key", "action")
        seen: set[str] = set()
        for node in (self.under, self.app):
            for binding in node.BINDINGS:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                if node.check_action(binding.action, ()) is False or binding.key in seen:
                    continue
                seen.add(binding.key)
                key = binding.key_display or self.app.get_key_display(binding)
                table.add_row(key, binding.tooltip or binding.description)
        for key, what in MOVING:
            table.add_row(key, what)
