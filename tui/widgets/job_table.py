"""Failed jobs: actor, organization, the year or a chunk's months, state with the next retry,
attempts, error class, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text

from shared.jobs import Job
from tui import format as fmt
from tui.widgets.table import Table

COLUMNS = (
    ("id", "#"),
    ("actor", "Actor"),
    ("org", "Organization"),
    ("period", "Period"),
    ("state", "State"),
    ("attempts", "Tries"),
    ("error", "Error"),
    ("when", "Failed"),
)
#: how each state looks
LOOKS = {"failed": "table--bad", "retrying": "table--wait", "resolved": "table--ok"}
#: characters of the organization and error shown in the table (the pane shows them whole)
ORG_WIDTH, ERROR_WIDTH = 20, 26


def period(job: Job) -> str:
    """What the job works on in time: a chunk's months or dates, else its year."""
    if job.range is not None:
        return job.range
    return "" if job.year is None else str(job.year)


def state(job: Job, now: dt.datetime) -> str:
    """The job's state, with when it runs again while it waits for a retry: `retrying in 42s`."""
    if job.state == "retrying" and job.next_retry_at is not None:
        return f"{job.state} {fmt.due(job.next_retry_at, now)}"
    return job.state


class JobTable(Table):
    """One row per job; the row key is the job's id."""

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in COLUMNS:
            self.add_column(heading, key=key)

    @property
    def current_id(self) -> int | None:
        """The job under the cursor."""
        key = self.current_key
        return None if key is None else int(key)

    def show_jobs(self, jobs: Sequence[Job], now: dt.datetime) -> None:
        """Show these jobs in this order."""
        self.show([(str(job.id), self._job_cells(job, now)) for job in jobs])

    def _job_cells(self, job: Job, now: dt.datetime) -> tuple[object, ...]:
        org = job.org_name or ("–" if job.org_id is None else f"#{job.org_id}")
        error = fmt.one_line(f"{job.error_class}: {job.error}", ERROR_WIDTH)
        return (
            str(job.id),
            job.actor,
            fmt.one_line(org, ORG_WIDTH),
            period(job),
            self.look(state(job, now), LOOKS.get(job.state, "table--muted")),
            Text(str(job.attempts), justify="right", end=""),
            self.look(error, "table--bad" if job.state == "failed" else "table--muted"),
            fmt.ago(job.failed_at, now),
        )
