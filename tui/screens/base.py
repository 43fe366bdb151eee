"""What every screen of the UI shares: the source, live refresh, and read-only refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui.source import Source

if TYPE_CHECKING:
    from tui.app import LedgersyncApp

#: what a refused action says
READ_ONLY_NOTE = "Read-only mode: this would change something, so it is not available."


class LiveScreen(Screen[None]):
    """A screen whose data refreshes on the App's timer; its MUTATING actions obey read-only."""

    #: actions that change something: hidden and refused in read-only mode
    MUTATING: ClassVar[frozenset[str]] = frozenset()

    @property
    def ledgersync(self) -> LedgersyncApp:
        """The App, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def source(self) -> Source:
        """The injected data source."""
        return self.ledgersync.source

    def refresh_data(self) -> None:
        """Start reading this screen's data (in a worker); nothing by default."""

    def tick(self) -> None:
        """The App's timer, while this screen is in view (in front, or behind a dialog)."""
        self.refresh_data()

    def on_screen_resume(self) -> None:
        """Fresh data whenever the screen comes (back) to the front."""
        self.refresh_data()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the actions that change something in read-only mode."""
        return not (action in self.MUTATING and self.ledgersync.read_only)

    def on_key(self, event: events.Key) -> None:
        """A key of a hidden (mutating) action says why nothing happens."""
        if self.ledgersync.read_only and event.key in self._mutating_keys():
            event.stop()
            self.notify(READ_ONLY_NOTE, severity="warning")

    def _mutating_keys(self) -> set[str]:
        return {
            key
            for binding in self._bindings_of_screen()
            if binding.action in self.MUTATING
            for key in binding.key.split(",")
        }

    def _bindings_of_screen(self) -> Iterator[Binding]:
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):
                yield binding

    def commands(self) -> Iterator[SystemCommand]:
        """This screen's actions for the command palette (the allowed ones)."""
        for binding in self._bindings_of_screen():
            if binding.description and self.check_action(binding.action, ()):
                yield SystemCommand(
                    binding.description,
                    binding.tooltip or binding.description,
                    self._runner(binding.action),
                )

    def _runner(self, action: str) -> Callable[[], Awaitable[Any]]:
        async def run() -> None:
            await self.run_action(action)

        return run

    def act(
        self,
        work: Callable[[], Awaitable[Any]],
        done: str,
        *,
        then: Callable[[], Any] | None = None,
    ) -> None:
        """Run an action that changes something in a worker; say `done` when it worked.

        `then` runs afterwards (default: refresh this screen).
        """
        if self.ledgersync.read_only:
            self.notify(READ_ONLY_NOTE, severity="warning")
            return

        async def run() -> None:
            await work()
            self.notify(done, markup=False)
            (then or self.refresh_data)()

        self.run_worker(run(), group="action", exit_on_error=False, description=done)
