"""`f`: failed jobs with their tracebacks, retried one by one or all that match; workers, queues."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Input, Static

from shared.jobs import Job, is_permanent
from tui import format as fmt
from tui.messages import FailuresRefreshed
from tui.screens.base import LiveScreen
from tui.screens.confirm import ConfirmScreen
from tui.views import FailuresView, SystemView
from tui.widgets.job_table import JobTable
from tui.widgets.status_bar import StatusBar
from tui.widgets.system_panel import SystemPanel

#: the states `a` goes through: failed only, failed and retrying, every job
STATES: tuple[str | None, ...] = ("failed", "unresolved", None)


def job_matches(job: Job, text: str) -> bool:
    """Whether every word of `text` is in the job's actor, organization, year or error."""
    haystack = " ".join(
        str(part)
        for part in (
            job.id,
            job.actor,
            job.org_name,
            job.year,
            job.error_class,
            job.error,
            job.state,
            job.stop_reason,
        )
        if part is not None
    ).casefold()
    return all(word in haystack for word in text.casefold().split())


def permanent_note(count: int) -> str:
    """Why `count` permanent failures are not in a "retry all"."""
    many = count != 1
    return (
        f"{count} permanent failure{'s' if many else ''} (a revoked token, bad input) "
        f"would fail again until {'their' if many else 'its'} cause is fixed."
    )


def chunk(job: Job) -> str | None:
    """A chunk's job: the chunk's months or dates, with its id to look it up."""
    if job.chunk_id is None:
        return None
    return f"chunk #{job.chunk_id}" if job.range is None else f"{job.range} (chunk #{job.chunk_id})"


def next_try(job: Job, now: dt.datetime) -> str:
    """`, next try at 14:03:22 (in 42s)` while the job waits for a timed retry."""
    if job.state != "retrying" or job.next_retry_at is None:
        return ""
    return f", next try at {fmt.moment(job.next_retry_at, now)} ({fmt.due(job.next_retry_at, now)})"


def describe(job: Job, now: dt.datetime) -> Text:
    """The side pane: what the job was, why it stopped, and its traceback (never markup)."""
    where = " · ".join(
        part
        for part in (job.org_name, None if job.year is None else str(job.year), chunk(job))
        if part
    )
    stop = f", stopped: {job.stop_reason.replace('_', ' ')}" if job.stop_reason else ""
    return Text.assemble(
        (f"Job #{job.id} {job.actor}", "bold"),
        f"  {where}\n",
        f"{job.state}, {job.attempts} attempt(s){stop}{next_try(job, now)}\n\n",
        (f"{job.error_class}: {job.error}\n\n", "bold"),
        job.traceback or "(no traceback)",
    )


class JobsScreen(LiveScreen):
    """Jobs that failed (of one organization, or all), and the state of the workers."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "retry_one", "Retry", tooltip="Retry the job under the cursor"),
        Binding("R", "retry_matching", "Retry all shown", tooltip="Retry every failed job shown"),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter the jobs"),
        Binding("a", "states", "Failed/all", tooltip="Show failed, unresolved, or every job"),
    ]
    MUTATING = frozenset({"retry_one", "retry_matching"})

    failures: reactive[FailuresView | None] = reactive(None, always_update=True)
    state: reactive[str | None] = reactive("failed")
    text: reactive[str] = reactive("")

    def __init__(self, org_id: int | None = None, org_name: str | None = None) -> None:
        super().__init__()
        self.org_id = org_id
        self.org_name = org_name

    def compose(self) -> ComposeResult:
        """Status, filter, jobs beside the traceback, workers and queues, keys."""
        title = f"Jobs of {self.org_name}" if self.org_name else "Jobs"
        yield StatusBar(title)
        yield Input(placeholder="filter: actor, organization, year, error…", id="jobs-filter")
        with Horizontal(id="jobs-main"):
            yield JobTable(id="jobs")
            with VerticalScroll(id="job-pane"):
                yield Static("No job highlighted.", id="job-detail")
        yield SystemPanel(id="system-panel")
        yield Footer()

    def on_mount(self) -> None:
        """Keys go to the jobs; the panel follows the App's workers and queues."""
        self.query_one(JobTable).focus()
        self.watch(self.app, "system", self._show_system)

    def _show_system(self, system: SystemView) -> None:
        self.query_one(SystemPanel).show_system(system)

    def refresh_data(self) -> None:
        """Read the jobs (in a worker)."""
        self._load()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load(self) -> None:
        found = await self.source.failures(state=self.state, org_id=self.org_id)
        self.post_message(FailuresRefreshed(found))

    def on_failures_refreshed(self, message: FailuresRefreshed) -> None:
        """Show them."""
        self.failures = message.failures

    def watch_failures(self) -> None:
        """New data."""
        self._show()

    def watch_text(self) -> None:
        """Another filter."""
        self._show()

    def watch_state(self) -> None:
        """Another set of states: read again."""
        if self.is_mounted:
            self.refresh_data()

    @property
    def shown(self) -> list[Job]:
        """The jobs the filter keeps."""
        found = self.failures.jobs if self.failures else ()
        return [job for job in found if job_matches(job, self.text)]

    def _show(self) -> None:
        failures = self.failures
        if failures is None:
            return
        shown = self.shown
        self.query_one(JobTable).show_jobs(shown, failures.at)
        self.query_one(SystemPanel).show_stuck(failures.stuck, failures.at)
        which = {"failed": "failed", "unresolved": "failed or retrying", None: "all"}[self.state]
        matching = f" matching “{self.text}”" if self.text else ""
        status = self.query_one(StatusBar)
        status.note = f"{len(shown)} {which} job(s){matching}"
        status.at = failures.at
        self._describe_current()

    def _describe_current(self) -> None:
        job_id = self.query_one(JobTable).current_id
        job = next((j for j in self.shown if j.id == job_id), None)
        shown = describe(job, self.failures.at) if job and self.failures else "No job here."
        self.query_one("#job-detail", Static).update(shown)

    @on(DataTable.RowHighlighted, "#jobs")
    def highlighted(self) -> None:
        """The traceback follows the cursor."""
        self._describe_current()

    # --- keys ------------------------------------------------------------------------------

    def action_back(self) -> None:
        """Esc: out of the filter first, then back."""
        field = self.query_one("#jobs-filter", Input)
        if field.has_class("-open"):
            field.value = ""
            field.remove_class("-open")
            self.query_one(JobTable).focus()
        else:
            self.dismiss()

    def action_filter(self) -> None:
        """Show and focus the filter."""
        field = self.query_one("#jobs-filter", Input)
        field.add_class("-open")
        field.focus()

    @on(Input.Changed, "#jobs-filter")
    def filtered(self, event: Input.Changed) -> None:
        """Filter as you type."""
        self.text = event.value.strip()

    @on(Input.Submitted, "#jobs-filter")
    def filter_done(self) -> None:
        """Enter: back to the jobs."""
        self.query_one(JobTable).focus()

    def action_states(self) -> None:
        """Failed → failed or retrying → all."""
        self.state = STATES[(STATES.index(self.state) + 1) % len(STATES)]

    def action_retry_one(self) -> None:
        """Retry the job under the cursor."""
        job_id = self.query_one(JobTable).current_id
        if job_id is None:
            self.notify("No job to retry.", severity="warning")
            return
        self.act(lambda: self._retry([job_id]), f"Job #{job_id} sent again.")

    def action_retry_matching(self) -> None:
        """Retry every failed job shown but the permanent failures, after saying how many."""
        failed = [job for job in self.shown if job.state == "failed"]
        if not failed:
            self.notify("No failed job is shown.", severity="warning")
            return
        ids = [job.id for job in failed if not is_permanent(job)]
        skipped = len(failed) - len(ids)
        if not ids:
            self.notify(
                f"{permanent_note(skipped)} Fix the cause, then retry each with r.",
                severity="warning",
            )
            return
        matching = f" matching “{self.text}”" if self.text else ""
        question = f"Retry {len(ids)} failed job{'s' if len(ids) != 1 else ''}{matching}?"
        if skipped:
            alone = "They are" if skipped != 1 else "It is"
            question += f"\n{permanent_note(skipped)} {alone} left alone; r retries one."

        def answered(ok: bool | None) -> None:
            if ok:
                self.act(lambda: self._retry(ids), f"{fmt.count(len(ids))} job(s) sent again.")

        self.app.push_screen(ConfirmScreen(question, yes="Retry"), answered)

    async def _retry(self, ids: list[int]) -> None:
        await self.source.retry_jobs(ids, org_id=self.org_id)
