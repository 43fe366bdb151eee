"""The operators' cockpit: the App, its timer, its keys, its commands and its error handling."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import structlog
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from shared.errors import AppError
from tui.messages import SystemRefreshed
from tui.screens.base import LiveScreen
from tui.screens.home import HomeScreen
from tui.screens.keys import KeysScreen
from tui.source import Source
from tui.views import SystemView

logger = structlog.get_logger(__name__)

#: seconds between refreshes unless told otherwise
REFRESH_S = 2.0


def sentence(error: BaseException | None) -> str:
    """What to tell the operator about a failed action or refresh."""
    if isinstance(error, AppError):
        return str(error)
    return f"{type(error).__name__}: {error} (details in the log file)."


class LedgersyncApp(App[None]):
    """Organizations, their progress, their problems and the jobs, live."""

    CSS_PATH = "app.tcss"
    TITLE = "ledgersync"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "keys", "Keys", key_display="?", tooltip="Show every key"),
        Binding("p", "pause", "Pause", tooltip="Pause or resume the live refresh"),
        Binding("q", "quit", "Quit", tooltip="Leave ledgersync"),
        # a terminal tool stops on Ctrl-C (the demo then stops everything it started)
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    #: the workers and queues, shown in every screen's header
    system: reactive[SystemView] = reactive(SystemView)
    #: whether the live refresh is paused
    paused: reactive[bool] = reactive(False)

    def __init__(
        self, source: Source, *, read_only: bool = False, refresh_s: float = REFRESH_S
    ) -> None:
        super().__init__()
        self.source = source
        self.read_only = read_only
        self.refresh_s = refresh_s

    def get_default_screen(self) -> Screen[None]:
        """The organizations."""
        return HomeScreen()

    def on_mount(self) -> None:
        """Start the refresh timer."""
        self.set_interval(self.refresh_s, self.tick)
        self.refresh_system()

    def tick(self) -> None:
        """One refresh of the header and the screen in front (unless paused)."""
        if self.paused:
            return
        self.refresh_system()
        if isinstance(self.screen, LiveScreen):
            self.screen.refresh_data()

    @work(exclusive=True, group="system", exit_on_error=False)
    async def refresh_system(self) -> None:
        """Read the workers and queues."""
        self.post_message(SystemRefreshed(await self.source.system()))

    def on_system_refreshed(self, message: SystemRefreshed) -> None:
        """Hand the new system view down to the status bars."""
        self.system = message.system

    def action_pause(self) -> None:
        """Pause or resume the live refresh."""
        self.paused = not self.paused
        if not self.paused:
            self.tick()

    def action_keys(self) -> None:
        """Show the keys of the screen in front."""
        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: the screen's actions first, then the App's."""
        if isinstance(screen, LiveScreen):
            yield from screen.commands()
        yield SystemCommand(
            "Pause or resume refresh", "Stop or restart the live refresh", self.action_pause
        )
        yield SystemCommand("Keys", "Every key of this screen", self.action_keys)
        for command in super().get_system_commands(screen):
            if command.title != "Keys":  # Textual's own help panel: ours says more
                yield command

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Every failed refresh or action ends here: one sentence on screen, details in the log."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if not isinstance(error, AppError):
            logger.error("tui_worker_failed", worker=event.worker.name, exc_info=error)
        self.notify(sentence(error), title="Failed", severity="error", timeout=10, markup=False)

    async def on_unmount(self) -> None:
        """Close the source's connections."""
        await self.source.close()
