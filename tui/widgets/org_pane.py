"""Below the home table: the highlighted organization in words, its problem in full."""

from __future__ import annotations

import datetime as dt

from textual.markup import escape
from textual.widgets import Static

from tui import format as fmt
from tui.views import OrgRow

#: what the pane says when nothing is highlighted
NOTHING = "No organization highlighted."


def describe(row: OrgRow, now: dt.datetime | None = None) -> str:
    """The highlighted organization: name, state, progress, and what is wrong if anything."""
    progress = row.progress
    parts = [f"[b]{escape(row.name)}[/b]", fmt.label(row.state)]
    if row.company:
        parts.append(escape(row.company))
    if progress.expected or progress.imported:
        parts.append(f"{fmt.postings(progress)} postings")
    if fmt.rate(progress):
        parts.append(fmt.rate(progress))
    if fmt.eta(progress, row.state):
        parts.append(f"ETA {fmt.eta(progress, row.state)}")
    if row.chunks_failed:
        parts.append(f"[$error]{row.chunks_failed} chunk(s) failed[/]")
    lines = [" · ".join(parts)]
    if row.state == "needs_attention":
        since = f"[$text-muted]Since{error_time(row, now)}:[/] " if row.last_error_at else ""
        problem = escape(row.reason or row.last_error or "See the checks.")
        lines.append(f"{since}[$error]{problem}[/]")
        lines.append("[$text-muted]t: the checks and what to ask the customer · enter: details[/]")
    elif row.state == "choose_company":
        lines.append("The token reaches several companies: enter, then C to choose one.")
    elif row.last_error:
        lines.append(f"[$text-muted]Last error{error_time(row, now)}: {escape(row.last_error)}[/]")
    return "\n".join(lines)


def error_time(row: OrgRow, now: dt.datetime | None) -> str:
    """` 14:02:11 (3m ago)`: when the last error happened (nothing when that is unknown)."""
    at = row.last_error_at
    if at is None:
        return ""
    now = now or dt.datetime.now(dt.UTC)
    return f" {fmt.moment(at, now)} ({fmt.ago(at, now)})"


class OrgPane(Static):
    """Shows `describe(row)` for the row the table's cursor is on."""

    def show(self, row: OrgRow | None, now: dt.datetime | None = None) -> None:
        """Describe this organization (or nothing), its times against `now` (the data's)."""
        self.update(NOTHING if row is None else describe(row, now))
