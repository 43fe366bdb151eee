"""One organization: its years' progress, its timeline, and what can be done about it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.reactive import reactive
from textual.widgets import Footer, Label, Static

from tui import format as fmt
from tui.messages import DetailRefreshed
from tui.screens.base import LiveScreen
from tui.screens.confirm import ConfirmScreen
from tui.views import Company, Freshness, OrgDetail
from tui.widgets.file_table import FileTable
from tui.widgets.org_pane import error_time
from tui.widgets.status_bar import StatusBar
from tui.widgets.timeline import Timeline
from tui.widgets.year_table import YearTable

#: actions that apply only in some states: (method, state, company chosen) → shown
APPLIES: dict[str, Callable[[str, str, bool], bool]] = {
    "resync_year": lambda method, state, chosen: method == "api" and chosen,
    "resync_all": lambda method, state, chosen: method == "api" and chosen,
    "choose_company": lambda method, state, chosen: (
        method == "api" and (chosen or state == "choose_company")
    ),
    "replace_token": lambda method, state, chosen: method == "api",
    "run_checks": lambda method, state, chosen: method == "api",
    "import_saft": lambda method, state, chosen: method == "saft",
    "cancel_sync": lambda method, state, chosen: state == "syncing",
    "resume_sync": lambda method, state, chosen: state == "cancelled",
}


class DetailScreen(LiveScreen):
    """Years with progress bars, the timeline, and the organization's actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("s", "resync_year", "Re-sync", tooltip="Import the year under the cursor again"),
        Binding("S", "resync_all", "Re-sync all", tooltip="Synchronize every year again"),
        Binding("C", "choose_company", "Company", tooltip="Choose the company to synchronize"),
        Binding("T", "replace_token", "Token", tooltip="Replace the employee token"),
        Binding("c", "run_checks", "Checks", tooltip="Run the troubleshooting checks now"),
        Binding("t", "troubleshoot", "Troubleshoot", tooltip="The last checks, with help"),
        Binding("i", "import_saft", "SAF-T file", tooltip="Import a SAF-T Financial file"),
        Binding("x", "cancel_sync", "Cancel", tooltip="Stop the synchronization"),
        Binding("R", "resume_sync", "Resume", tooltip="Resume a cancelled synchronization"),
        Binding("f", "jobs", "Jobs", tooltip="The organization's failed jobs"),
        Binding(
            "b",
            "trial_balance",
            "Ledger",
            tooltip="The trial balance of the year under the cursor, proven against the source",
        ),
        Binding("D", "remove", "Remove", tooltip="Remove the organization and all its data"),
    ]
    MUTATING = frozenset(
        {
            "resync_year",
            "resync_all",
            "choose_company",
            "replace_token",
            "run_checks",
            "import_saft",
            "cancel_sync",
            "resume_sync",
            "remove",
        }
    )

    detail: reactive[OrgDetail | None] = reactive(None, always_update=True)

    def __init__(self, org_id: int) -> None:
        super().__init__()
        self.org_id = org_id
        self._applies: tuple[str, str, bool, bool] | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Read-only hides what changes things; the rest shows when it applies to this state."""
        if not super().check_action(action, parameters):
            return False
        if self.detail is None or action not in APPLIES:
            return True
        row = self.detail.row
        return APPLIES[action](row.method, row.state, self.detail.company_id is not None)

    def compose(self) -> ComposeResult:
        """Status, heading, years, timeline, keys."""
        yield StatusBar(f"Organization #{self.org_id}")
        yield Static(id="org-head")
        yield Label("", id="org-problem", classes="problem")
        yield Label("Files", classes="section", id="files-heading")
        yield FileTable(id="files")
        yield YearTable(id="years")
        yield Label("Timeline", classes="section")
        yield Timeline(id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        """Keys go to the years."""
        self.query_one(YearTable).focus()

    def refresh_data(self) -> None:
        """Read the organization (in a worker)."""
        self._load()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load(self) -> None:
        self.post_message(DetailRefreshed(await self.source.organization(self.org_id)))

    def on_detail_refreshed(self, message: DetailRefreshed) -> None:
        """Show it; an organization removed meanwhile closes the screen."""
        if message.detail is None:
            self.notify(f"Organization #{self.org_id} no longer exists.")
            self.dismiss()
            return
        self.detail = message.detail

    def watch_detail(self, detail: OrgDetail | None) -> None:
        """Update heading, years and timeline in place."""
        if detail is None:
            return
        row = detail.row
        applies = (row.method, row.state, detail.company_id is not None, row.cancel_requested)
        if applies != self._applies:
            self._applies = applies
            self.refresh_bindings()
        self.query_one(StatusBar).title = f"Organizations › {row.name}"
        self.query_one(StatusBar).at = detail.at
        self.query_one("#org-head", Static).update(self._heading(detail))
        problem = row.reason if row.state == "needs_attention" else None
        if problem and row.last_error_at:
            problem = f"Since{error_time(row, detail.at)}: {problem}"
        self.query_one("#org-problem", Label).update(Text(problem or ""))
        self.query_one("#org-problem").display = bool(problem)
        saft = row.method == "saft"
        self.query_one("#files-heading").display = saft
        self.query_one(FileTable).display = saft
        if saft:
            self.query_one(YearTable).show_files()
            self.query_one(FileTable).show_files(detail.files)
        self.query_one(YearTable).show_years(detail.years)
        self.query_one(Timeline).show_events(detail.timeline, detail.at, row.method)

    def _heading(self, detail: OrgDetail) -> str:
        row, progress = detail.row, detail.row.progress
        company = "no company chosen yet"
        if row.company:  # a SAF-T organization's company comes from its file: no Tripletex id
            known_id = "" if detail.company_id is None else f", #{detail.company_id}"
            company = f"{row.company} (org. nr {detail.company_org_number or '?'}{known_id})"
        elif row.method == "saft":
            company = "named by its first SAF-T file"
        source = f"{row.method} · {row.provider}" if row.provider else row.method
        token = f" · token {escape(detail.token_hint)}" if detail.token_hint else ""
        rate = f" · {fmt.rate(progress)}" if fmt.rate(progress) else ""
        eta = fmt.eta(progress, row.state)
        kept = detail.freshness
        fresh = "" if kept is None else "\n" + fresh_line(kept, detail.at)
        return (
            f"[b]{escape(row.name)}[/b]  #{row.id} · {source}{token}\n"
            f"Company: {company}\n"
            f"State: [b]{fmt.label(row.state)}[/b] · {fmt.postings(progress)} postings"
            f"{rate}{' · ETA ' + eta if eta else ''}{fresh}"
        )

    # --- actions ---------------------------------------------------------------------------

    @property
    def org_name(self) -> str:
        return self.detail.row.name if self.detail else f"#{self.org_id}"

    def _confirmed(
        self, question: str, then: Callable[[], object], *, danger: bool = False, yes: str = "Yes"
    ) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmScreen(question, yes=yes, danger=danger), answered)

    def action_resync_year(self) -> None:
        """Import the year under the cursor again."""
        year = self.query_one(YearTable).current_year
        if year is None:
            self.notify("No year planned yet: re-sync all instead (S).", severity="warning")
            return
        self.act(
            lambda: self.source.resync(self.org_id, year),
            f"Re-synchronizing {year} of {self.org_name}.",
        )

    def action_resync_all(self) -> None:
        """Synchronize every year again."""
        self.act(
            lambda: self.source.resync(self.org_id, None),
            f"Re-synchronizing every year of {self.org_name}.",
        )

    def action_choose_company(self) -> None:
        """Pick the company from those the token reaches; confirm what the choice does."""
        from tui.screens.company import CompanyScreen

        def chosen(company: Company | None) -> None:
            if company is not None:
                self._confirm_company(company)

        self.app.push_screen(CompanyScreen(self.source, self.org_id, self.org_name), chosen)

    @work(group="action", exit_on_error=False)
    async def _confirm_company(self, company: Company) -> None:
        """Ask with both companies named, then choose as confirmed (another company's data
        removed, a duplicate allowed: only what the question said)."""
        choice = await self.source.company_choice(self.org_id, company.id)
        self._confirmed(
            fmt.company_question(choice),
            lambda: self.act(
                lambda: self.source.select_company(
                    self.org_id,
                    company.id,
                    replace=choice.replaced is not None,
                    allow_duplicate=bool(choice.duplicates),
                ),
                f"Synchronizing {company.name}: the first sync has started.",
            ),
            yes=fmt.company_yes(choice),
            danger=choice.needs_confirming,
        )

    def action_replace_token(self) -> None:
        """A new employee token; validation starts again."""
        from tui.screens.token import TokenScreen

        def pasted(token: str | None) -> None:
            if token:
                self.act(
                    lambda: self.source.replace_token(self.org_id, token),
                    "Token replaced; validating it now.",
                )

        self.app.push_screen(TokenScreen(self.org_name), pasted)

    def action_run_checks(self) -> None:
        """Run the checks and show them."""
        from tui.screens.checks import ChecksScreen

        self.app.push_screen(ChecksScreen(self.org_id, self.org_name, run_now=True))

    def action_troubleshoot(self) -> None:
        """The last run of the checks."""
        from tui.screens.checks import ChecksScreen

        self.app.push_screen(ChecksScreen(self.org_id, self.org_name))

    def action_import_saft(self) -> None:
        """Ask for a SAF-T file and import it."""
        from tui.screens.saft import SaftScreen

        def picked(path: Path | None) -> None:
            if path is not None:
                self.act(
                    lambda: self.source.import_saft(self.org_id, path), f"Importing {path.name}."
                )

        self.app.push_screen(SaftScreen(self.org_name), picked)

    def action_cancel_sync(self) -> None:
        """Stop the synchronization (confirmed)."""
        self._confirmed(
            f"Stop synchronizing {self.org_name}? "
            "Chunks already running finish; re-sync resumes it.",
            lambda: self.act(
                lambda: self.source.cancel(self.org_id), f"{self.org_name}: cancelled."
            ),
            yes="Stop",
        )

    def action_jobs(self) -> None:
        """The organization's jobs."""
        from tui.screens.jobs import JobsScreen

        self.app.push_screen(JobsScreen(self.org_id, self.org_name))

    def action_trial_balance(self) -> None:
        """The trial balance of the year under the cursor (or the newest held)."""
        from tui.screens.ledger import TrialBalanceScreen

        year = self.query_one(YearTable).current_year
        self.app.push_screen(TrialBalanceScreen(self.org_id, self.org_name, year))

    def action_resume_sync(self) -> None:
        """Synchronize a cancelled organization again, from where it stopped."""
        done = f"{self.org_name}: synchronizing again from where it stopped."
        self.act(lambda: self.source.resume(self.org_id), done)

    def action_remove(self) -> None:
        """Remove the organization and all its data (confirmed)."""

        def removed() -> None:
            self.act(
                lambda: self.source.remove(self.org_id),
                f"Removed {self.org_name}.",
                then=self.dismiss,
            )

        self._confirmed(
            f"Remove {self.org_name} and ALL its imported postings? This cannot be undone.",
            removed,
            danger=True,
            yes="Remove",
        )


def fresh_line(kept: Freshness, at: dt.datetime) -> str:
    """How the organization is kept fresh, its last change and the confirmation's age."""
    mode, _, why = kept.how.partition(": ")
    parts = [f"Fresh: [b]{escape(mode)}[/b] ({escape(why)})"]
    if kept.change_at is not None:
        what = f" ({escape(kept.change_what)})" if kept.change_what else ""
        parts.append(f"last change {fmt.ago(kept.change_at, at)} by {kept.change_source}{what}")
    if kept.confirmed_at is not None:
        parts.append(f"confirmed current {fmt.ago(kept.confirmed_at, at)}")
    return " · ".join(parts)
