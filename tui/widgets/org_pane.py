"""Below the home table: the highlighted organization in words, its problem in full."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from tui import format as fmt
from tui.views import OrgRow

#: what the pane says when nothing is highlighted
NOTHING = "No organization highlighted."


def describe(row: OrgRow) -> str:
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
        lines.append(f"[$error]{escape(row.reason or row.last_error or 'See the checks.')}[/]")
        lines.append("[$text-muted]t: the checks and what to ask the customer · enter: details[/]")
    elif row.state == "choose_company":
        lines.append("The token reaches several companies: enter, then C to choose one.")
    elif row.last_error:
        lines.append(f"[$text-muted]Last error: {escape(row.last_error)}[/]")
    return "\n".join(lines)


class OrgPane(Static):
    """Shows `describe(row)` for the row the table's cursor is on."""

    def show(self, row: OrgRow | None) -> None:
        """Describe this organization (or nothing)."""
        self.update(NOTHING if row is None else describe(row))
