"""Home: every organization live, filtered and sorted, one key from everything else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Input, Label

from tui import bulk
from tui.listing import Arrangement, arrange
from tui.messages import OverviewRefreshed
from tui.screens.base import LiveScreen
from tui.screens.confirm import ConfirmScreen
from tui.views import OrgRow, Overview
from tui.widgets.org_pane import OrgPane
from tui.widgets.org_table import OrgTable
from tui.widgets.status_bar import StatusBar


class HomeScreen(LiveScreen):
    """The organizations table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", tooltip="Open the organization under the cursor"),
        Binding("n", "register", "Register", tooltip="Register a new organization"),
        Binding("t", "troubleshoot", "Troubleshoot", tooltip="Checks of the organization"),
        Binding("f", "jobs", "Jobs", tooltip="Failed jobs, workers, queues, stuck work"),
        Binding("v", "fleet", "Fleet", tooltip="The fleet at a glance: rates, tokens, waits, ETA"),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter the organizations"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column (S reverses)"),
        Binding("S", "reverse", "Reverse", show=False, tooltip="Reverse the sort order"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Refresh now"),
        Binding(
            "space", "mark", "Mark", tooltip="Mark the organization (keys act on every marked)"
        ),
        Binding(
            "ctrl+backslash",
            "unmark",
            "Unmark all",
            key_display="^\\",
            show=False,
            tooltip="Unmark every organization (esc too)",
        ),
        Binding("ctrl+s", "sync", "Sync", tooltip="Sync again: the marked, else this one"),
        Binding("c", "checks", "Run checks", tooltip="Run the checks: the marked, else this one"),
        Binding(
            "R", "retry", "Retry failed", tooltip="Retry failed jobs: the marked, else this one"
        ),
    ]
    MUTATING = frozenset({"register", "mark", "unmark", "sync", "checks", "retry"})

    overview: reactive[Overview | None] = reactive(None, always_update=True)
    arrangement: reactive[Arrangement] = reactive(Arrangement)

    def __init__(self) -> None:
        super().__init__()
        #: the ids of the marked organizations (kept through refreshes and filters)
        self.marked: set[int] = set()

    def compose(self) -> ComposeResult:
        """Status, filter, table, keys."""
        yield StatusBar("Organizations")
        yield Input(placeholder="filter: words in name, company, state, error…", id="filter")
        yield OrgTable(id="orgs")
        yield Label("No organizations yet: press n to register one.", id="empty")
        yield OrgPane(id="org-pane")
        yield Footer()

    @property
    def table(self) -> OrgTable:
        """The organizations table."""
        return self.query_one(OrgTable)

    def on_mount(self) -> None:
        """Focus the table; the first refresh comes with the screen's resume."""
        self.table.focus()

    def refresh_data(self) -> None:
        """Read every organization (in a worker)."""
        self._load()

    def tick(self) -> None:
        """Nothing to read: the App reads the organizations on its timer (for the alerts too) and
        sets `overview`."""

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load(self) -> None:
        self.post_message(OverviewRefreshed(await self.source.overview()))

    def on_overview_refreshed(self, message: OverviewRefreshed) -> None:
        """Show the new data."""
        self.overview = message.overview

    def watch_overview(self) -> None:
        """New data: update the table in place."""
        self._show()

    def watch_arrangement(self) -> None:
        """Another filter or sort."""
        self._show()

    @work(exclusive=True, group="show", exit_on_error=False)
    async def _show(self) -> None:
        """Apply the data to the table in slices, so keys are answered meanwhile."""
        overview = self.overview
        if overview is None:
            return
        self.marked &= {row.id for row in overview.orgs}  # one gone takes its mark along
        shown = arrange(overview.orgs, self.arrangement)
        await self.table.show_orgs(shown, frozenset(self.marked))
        how = self.arrangement
        counted = f"{len(shown)} of {len(overview.orgs)}" if how.filter else f"{len(shown)}"
        matching = f" matching “{how.filter}”" if how.filter else ""
        status = self.query_one(StatusBar)
        status.note = f"{counted} organizations{matching} · {how.describe()}{self._marks(shown)}"
        status.at = overview.at
        self.query_one("#empty").display = not overview.orgs
        self._describe_current()

    def _marks(self, shown: list[OrgRow]) -> str:
        """` · 3 marked (1 not shown)`, or nothing."""
        if not self.marked:
            return ""
        hidden = len(self.marked - {row.id for row in shown})
        return f" · {len(self.marked)} marked" + (f" ({hidden} not shown)" if hidden else "")

    def _current_row(self) -> OrgRow | None:
        org_id, overview = self.table.current_id, self.overview
        rows = overview.orgs if overview else ()
        return next((r for r in rows if r.id == org_id), None)

    def _describe_current(self) -> None:
        at = self.overview.at if self.overview else None
        self.query_one(OrgPane).show(self._current_row(), at)

    @on(DataTable.RowHighlighted, "#orgs")
    def row_highlighted(self) -> None:
        """The pane follows the cursor."""
        self._describe_current()

    # --- keys ------------------------------------------------------------------------------

    def action_open(self) -> None:
        """Open the organization under the cursor."""
        org_id = self.table.current_id
        if org_id is not None:
            from tui.screens.detail import DetailScreen

            self.app.push_screen(DetailScreen(org_id))

    @on(DataTable.RowSelected, "#orgs")
    def row_selected(self) -> None:
        """Enter on a row opens it."""
        self.action_open()

    @on(DataTable.HeaderSelected, "#orgs")
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a heading sorts by it (again: reversed)."""
        self.arrangement = self.arrangement.by(str(event.column_key.value))

    def action_register(self) -> None:
        """The registration wizard; the new organization opens when it is done."""
        from tui.screens.register import RegisterScreen

        def opened(org_id: int | None) -> None:
            if org_id is not None:
                from tui.screens.detail import DetailScreen

                self.app.push_screen(DetailScreen(org_id))

        self.app.push_screen(RegisterScreen(), opened)

    def action_troubleshoot(self) -> None:
        """The checks of the organization under the cursor."""
        row = self._current_row()
        if row is None:
            self.notify("Choose an organization first.", severity="warning")
            return
        from tui.screens.checks import ChecksScreen

        self.app.push_screen(ChecksScreen(row.id, row.name))

    def action_jobs(self) -> None:
        """Failed jobs, workers, queues."""
        from tui.screens.jobs import JobsScreen

        self.app.push_screen(JobsScreen())

    def action_fleet(self) -> None:
        """The fleet at a glance."""
        from tui.screens.fleet import FleetScreen

        self.app.push_screen(FleetScreen())

    def action_filter(self) -> None:
        """Show and focus the filter."""
        field = self.query_one("#filter", Input)
        field.add_class("-open")
        field.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        """Filter as you type."""
        self.arrangement = Arrangement(
            event.value.strip(), self.arrangement.sort, self.arrangement.reverse
        )

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        """Enter: back to the table, the filter kept."""
        self.table.focus()

    def key_escape(self) -> None:
        """Esc in the filter clears it and hides it."""
        field = self.query_one("#filter", Input)
        if field.has_class("-open"):
            field.value = ""
            field.remove_class("-open")
            self.table.focus()
        elif self.marked:
            self.action_unmark()

    def action_sort(self) -> None:
        """Sort by the next column."""
        self.arrangement = self.arrangement.next_sort()

    def action_reverse(self) -> None:
        """Reverse the order."""
        how = self.arrangement
        self.arrangement = Arrangement(how.filter, how.sort, not how.reverse)

    def action_refresh(self) -> None:
        """Refresh now."""
        self.refresh_data()

    # --- marks and bulk actions ------------------------------------------------------------

    def action_mark(self) -> None:
        """Mark or unmark the organization under the cursor, and go to the next."""
        org_id = self.table.current_id
        if org_id is not None:
            self.marked ^= {org_id}
            self.table.action_cursor_down()
            self._show()

    def action_unmark(self) -> None:
        """Unmark every organization."""
        self.marked.clear()
        self._show()

    def _chosen(self) -> list[OrgRow]:
        """The marked organizations in the table's order (filtered out or not), else the one
        under the cursor."""
        if not self.marked:
            current = self._current_row()
            return [] if current is None else [current]
        rows = self.overview.orgs if self.overview else ()
        ordered = arrange(rows, replace(self.arrangement, filter=""))
        return [row for row in ordered if row.id in self.marked]

    def action_sync(self) -> None:
        """Synchronize the marked organizations again, after one question."""
        self._ask(bulk.SYNC)

    def action_checks(self) -> None:
        """Run the marked organizations' troubleshooting checks, after one question."""
        self._ask(bulk.CHECKS)

    def _ask(self, action: bulk.Bulk) -> None:
        chosen = self._chosen()
        rows = [row for row in chosen if action.applies(row)]
        left = [row for row in chosen if not action.applies(row)]
        if not rows:
            why = f": {bulk.names(left)} ({action.left_out})" if left else ""
            self.notify(f"Nothing to do{why}.", severity="warning", markup=False)
            return
        screen = ConfirmScreen(bulk.question(action, rows, left), yes=action.yes)
        self._confirm(screen, action, rows)

    def action_retry(self) -> None:
        """Retry the marked organizations' failed jobs (permanent failures only if asked)."""
        chosen = self._chosen()
        if chosen:
            self._ask_retry(chosen)
        else:
            self.notify("Nothing to do.", severity="warning")

    @work(exclusive=True, group="ask", exit_on_error=False)
    async def _ask_retry(self, chosen: list[OrgRow]) -> None:
        only = chosen[0].id if len(chosen) == 1 else None
        plan = bulk.RetryPlan.of(
            chosen, (await self.source.failures(state="failed", org_id=only)).jobs
        )
        if not plan.rows:
            self.notify(f"No failed jobs of {bulk.names(chosen)}.", markup=False)
            return
        left = [row for row in chosen if row not in plan.rows]
        screen = ConfirmScreen(plan.question(False, left), yes="Retry", option=plan.option(left))
        self._confirm(screen, bulk.RETRY, plan.rows)

    def _confirm(self, screen: ConfirmScreen, action: bulk.Bulk, rows: Sequence[OrgRow]) -> None:
        """Ask; on yes, unmark and do the action in a worker, then say how it went."""

        def answered(ok: bool | None) -> None:
            if not ok:
                return
            self.marked.clear()
            self._show()

            async def run() -> None:
                said = await bulk.run(self.source, action, rows, include_permanent=screen.option_on)
                self.notify(
                    said.text, severity="warning" if said.partial else "information", markup=False
                )
                self.refresh_data()

            self.run_worker(run(), group="action", exit_on_error=False, description=action.name)

        self.app.push_screen(screen, answered)
