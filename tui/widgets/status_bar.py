"""The bar atop every screen: where you are, workers alive, queue depth, the refresh."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from tui import format as fmt
from tui.views import SystemView


class StatusBar(Horizontal):
    """Title on the left; the system and the refresh on the right (watched from the App)."""

    title: reactive[str] = reactive("")
    note: reactive[str] = reactive("")
    at: reactive[dt.datetime | None] = reactive(None)

    def __init__(self, title: str) -> None:
        super().__init__()
        self.set_reactive(StatusBar.title, title)

    def compose(self) -> ComposeResult:
        """Title, note, system, refresh."""
        yield Label(id="title")
        yield Label(id="note")
        yield Label(id="workers")
        yield Label(id="queues")
        yield Label(id="refresh")

    def on_mount(self) -> None:
        """Follow the App's system view and pause switch."""
        self.watch(self.app, "system", self._show_system)
        self.watch(self.app, "paused", self._show_refresh)
        self._show_title()

    def watch_title(self) -> None:
        """Show the new title."""
        self._show_title()

    def watch_note(self, note: str) -> None:
        """Show the note (filter, sort)."""
        self.query_one("#note", Label).update(Text(note))

    def watch_at(self) -> None:
        """The data's time changed."""
        self._show_refresh(self.app.paused)  # type: ignore[attr-defined]

    def _show_title(self) -> None:
        read_only = getattr(self.app, "read_only", False)
        label = self.query_one("#title", Label)
        title = f"ledgersync › {self.title}" + ("  [read-only]" if read_only else "")
        label.update(Text(title))  # a name with [brackets] is not markup

    def _show_system(self, system: SystemView) -> None:
        workers = self.query_one("#workers", Label)
        workers.update(f"workers {system.alive} alive")
        workers.set_class(system.alive == 0, "-bad")
        queues = self.query_one("#queues", Label)
        delayed = f" +{fmt.count(system.delayed)} delayed" if system.delayed else ""
        stalled = f" · {len(system.stalled)} stalled" if system.stalled else ""
        queues.update(f"queue {fmt.count(system.waiting)}{delayed}{stalled}")
        queues.set_class(bool(system.stalled), "-bad")

    def _show_refresh(self, paused: bool) -> None:
        label = self.query_one("#refresh", Label)
        every = getattr(self.app, "refresh_s", 0)
        when = f" · {fmt.moment(self.at, self.at)}" if self.at else ""
        label.update(("paused (p)" if paused else f"every {fmt.duration(every)}") + when)
        label.set_class(paused, "-paused")
