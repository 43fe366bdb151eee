"""Troubleshooting: the last run of the checks as a checklist; `r` runs them again, `m` shows the
message to send the customer."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Label

from shared.checks import TITLES, first_failure
from shared.customer_message import compose, why_no_message
from tui import format as fmt
from tui.messages import ChecksRefreshed
from tui.screens.base import READ_ONLY_NOTE, LiveScreen
from tui.screens.message import MessageScreen
from tui.views import CheckRunView
from tui.widgets.checklist import Checklist
from tui.widgets.status_bar import StatusBar

#: what started a run, for people
TRIGGERS = {
    "access_error": "after an access error",
    "tui": "from this UI",
    "command": "by `ledgersync check`",
}


class ChecksScreen(LiveScreen):
    """The checklist of one organization."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "rerun", "Run again", tooltip="Run the troubleshooting checks again now"),
        Binding(
            "m",
            "message",
            "Message",
            tooltip="The message to send the customer: what to change in Tripletex (c copies it)",
        ),
    ]
    MUTATING = frozenset({"rerun"})

    def __init__(self, org_id: int, org_name: str | None = None, *, run_now: bool = False) -> None:
        super().__init__()
        self.org_id = org_id
        self.org_name = org_name or f"Organization #{org_id}"
        self.run_now = run_now
        self.running = False
        self.shown_run: CheckRunView | None = None

    def compose(self) -> ComposeResult:
        """Status, summary, checklist, keys."""
        yield StatusBar(f"Organizations › {self.org_name} › Troubleshooting")
        yield Label("Reading the last run…", id="checks-summary")
        yield Checklist(id="checklist")
        yield Footer()

    def on_mount(self) -> None:
        """Run at once when asked to."""
        self.query_one(Checklist).focus()
        if self.run_now:
            self.action_rerun()

    def refresh_data(self) -> None:
        """Read the last run (in a worker)."""
        if not self.running:
            self._load()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load(self) -> None:
        self.post_message(ChecksRefreshed(await self.source.last_checks(self.org_id)))

    def on_checks_refreshed(self, message: ChecksRefreshed) -> None:
        """Show the run."""
        self._show(message.run)

    def _show(self, run: CheckRunView | None) -> None:
        self.shown_run = run
        summary = self.query_one("#checks-summary", Label)
        if run is None:
            summary.update(
                "The checks have not run for this organization yet: press r to run them."
            )
            return
        failed = first_failure(run.results)
        verdict = f"“{TITLES[failed.name]}” failed" if failed else "nothing failed"
        ran = fmt.moment(run.ran_at, run.ran_at)
        summary.update(
            f"Last run {ran} {TRIGGERS.get(run.triggered_by, run.triggered_by)}: {verdict}."
        )
        summary.set_class(failed is not None, "-bad")
        self.query_one(Checklist).show(run.results)

    def action_rerun(self) -> None:
        """Run the checks in the workers and show the new run."""
        if self.ledgersync.read_only:
            self.notify(READ_ONLY_NOTE, severity="warning")
            return
        if not self.running:
            self._rerun()

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _rerun(self) -> None:
        self.running = True
        summary = self.query_one("#checks-summary", Label)
        summary.update("Running the checks in the workers…")
        summary.set_class(False, "-bad")
        try:
            run = await self.source.run_checks(self.org_id)
        finally:
            self.running = False
        self._show(run)
        self.notify("The checks ran.")

    def action_message(self) -> None:
        """Show the message for the customer, or say why there is none."""
        if self.shown_run is None:
            self.notify("The checks have not run yet: press r to run them.", severity="warning")
        elif compose(self.org_name, None, self.shown_run.results) is None:
            self.notify(why_no_message(self.shown_run.results))
        else:
            self._open_message(self.shown_run)

    @work(exclusive=True, group="message", exit_on_error=False)
    async def _open_message(self, run: CheckRunView) -> None:
        name = await self.source.application_name()
        await self.app.push_screen(MessageScreen(self.org_name, name, run.results))
