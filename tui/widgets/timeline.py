"""What happened to an organization, newest first: actions (with who), checks, years, chunks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tui import format as fmt
from tui import story
from tui.views import Event
from tui.widgets.table import Table


class Timeline(Table):
    """A read-only list of events; rebuilt only when they change, keeping the scroll."""

    def on_mount(self) -> None:
        """Add the columns."""
        self.add_column("When", key="when")
        self.add_column("Who", key="who")
        self.add_column("What", key="what")
        self._shown: tuple[Event, ...] = ()

    def show_events(self, events: Sequence[Event], now: dt.datetime, method: str = "api") -> None:
        """Show the events (newest first), worded for the method; nothing moves if unchanged."""
        if tuple(events) == self._shown:
            return
        self._shown = tuple(events)
        events = story.condense(events)
        row, scroll = self.cursor_row, self.scroll_y
        self.forget()
        for index, event in enumerate(events):
            self.add_row(
                fmt.moment(event.at, now),
                event.actor if event.kind == "action" else "",
                self.look(story.tell(event, method), f"table--{story.looks(event)}"),
                key=str(index),
            )
        self.move_cursor(row=min(row, max(0, len(events) - 1)), scroll=False)
        self.call_after_refresh(self.scroll_to, y=scroll, animate=False)
