"""The operators' cockpit: the App, its timer, its keys, its commands and its error handling."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import structlog
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from shared.errors import AppError
from tui.alerts import KEY, Alert, AlertKind, org_alerts, system_alerts
from tui.messages import OverviewRefreshed, SystemRefreshed
from tui.screens.base import LiveScreen
from tui.screens.detail import DetailScreen
from tui.screens.home import HomeScreen
from tui.screens.jobs import JobsScreen
from tui.screens.keys import KeysScreen
from tui.source import Source
from tui.views import Overview, SystemView

logger = structlog.get_logger(__name__)

#: seconds between refreshes unless told otherwise
REFRESH_S = 2.0
#: seconds an alert stays on screen
ALERT_S = 20
#: how loud each kind of alert is
SEVERITY: dict[AlertKind, SeverityLevel] = {
    AlertKind.ATTENTION: "warning",
    AlertKind.DEAD_LETTER: "error",
    AlertKind.WORKER_SILENT: "error",
}


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
        Binding(
            "exclamation_mark",
            "alert",
            "Last alert",
            key_display=KEY,
            show=False,
            tooltip="Go to the last alert's organization, or to the jobs",
        ),
        Binding("q", "quit", "Quit", tooltip="Leave ledgersync"),
        # a terminal tool stops on Ctrl-C (the demo then stops everything it started)
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    #: the workers and queues, shown in every screen's header
    system: reactive[SystemView] = reactive(SystemView)
    #: whether the live refresh is paused
    paused: reactive[bool] = reactive(False)

    def __init__(
        self,
        source: Source,
        *,
        read_only: bool = False,
        refresh_s: float = REFRESH_S,
        bell: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.read_only = read_only
        self.refresh_s = refresh_s
        #: whether an alert rings the terminal's bell
        self.ring = bell
        #: the last alert raised, where `!` goes
        self.last_alert: Alert | None = None
        #: what the previous refresh saw, to tell what is new (None before the first)
        self._overview: Overview | None = None
        self._system: SystemView | None = None

    def get_default_screen(self) -> Screen[None]:
        """The organizations."""
        return HomeScreen()

    def on_mount(self) -> None:
        """Start the refresh timer."""
        self.set_interval(self.refresh_s, self.tick)
        self.refresh_system()
        self.refresh_overview()

    def tick(self) -> None:
        """One refresh of the header, the alerts and every screen that shows (unless paused).

        A dialog leaves the screens behind it in view, so they are refreshed too.
        """
        if self.paused:
            return
        self.refresh_system()
        self.refresh_overview()
        for screen in self._in_view():
            if isinstance(screen, LiveScreen):
                screen.tick()

    def _in_view(self) -> list[Screen[object]]:
        """The screen in front and those behind its dialogs, down to the first full screen."""
        shown: list[Screen[object]] = []
        for screen in reversed(self.screen_stack):
            shown.append(screen)
            if not isinstance(screen, ModalScreen):
                break
        return shown

    @work(exclusive=True, group="system", exit_on_error=False)
    async def refresh_system(self) -> None:
        """Read the workers and queues."""
        self.post_message(SystemRefreshed(await self.source.system()))

    @work(exclusive=True, group="overview", exit_on_error=False)
    async def refresh_overview(self) -> None:
        """Read every organization: for the alerts, and for the home screen."""
        self.post_message(OverviewRefreshed(await self.source.overview()))

    def on_system_refreshed(self, message: SystemRefreshed) -> None:
        """Hand the new system view down to the status bars; alert what is new."""
        before, self._system = self._system, message.system
        self.system = message.system
        self.alert(system_alerts(before, message.system))

    def on_overview_refreshed(self, message: OverviewRefreshed) -> None:
        """Hand the organizations down to the home screen; alert what is new."""
        before, self._overview = self._overview, message.overview
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.overview = message.overview
        self.alert(org_alerts(before, message.overview))

    def alert(self, alerts: list[Alert]) -> None:
        """Tell each alert (with the bell if asked for); `!` then goes to the last."""
        for one in alerts:
            self.notify(
                one.sentence,
                title="Alert",
                severity=SEVERITY[one.kind],
                timeout=ALERT_S,
                markup=False,
            )
            if self.ring:
                self.bell()
            self.last_alert = one

    def action_alert(self) -> None:
        """Go to the last alert's organization, or to the Jobs screen."""
        target = self.last_alert
        if target is None:
            self.notify("No alert yet.")
        elif isinstance(self.screen, ModalScreen):
            self.notify(f"Close this first; then {KEY} goes to the last alert.")
        elif target.org_id is not None:
            if not (isinstance(self.screen, DetailScreen) and self.screen.org_id == target.org_id):
                self.push_screen(DetailScreen(target.org_id))
        elif not (isinstance(self.screen, JobsScreen) and self.screen.org_id is None):
            self.push_screen(JobsScreen())

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
