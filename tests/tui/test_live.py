"""The UI on the real system: the sandbox over HTTP, real workers, real Postgres and Redis."""

from __future__ import annotations

import getpass

from pipeline_harness import Pipeline, fetch
from saft_support import FIXTURES, VALID, read_truth
from textual import events
from tui_pilot import WORKERS_S, until

from shared.config import Settings
from shared.db import connect
from tui.app import LedgersyncApp
from tui.pg_source import PgSource, ReadOnly
from tui.screens.checks import ChecksScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import DetailScreen
from tui.screens.home import HomeScreen
from tui.widgets.checklist import CheckItem
from tui.widgets.company_picker import CompanyTable
from tui.widgets.file_table import FileTable
from tui.widgets.job_table import JobTable
from tui.widgets.org_table import OrgTable
from tui.widgets.year_table import YearTable

SIZE = (160, 45)


def cockpit(pipeline: Pipeline, *, read_only: bool = False) -> LedgersyncApp:
    """The App on the pipeline's servers, refreshing twice a second."""
    settings = Settings.from_env(pipeline.env)
    return LedgersyncApp(
        PgSource(settings, read_only=read_only), read_only=read_only, refresh_s=0.5
    )


def year_states(app: LedgersyncApp) -> dict[str, str]:
    """Year → state, as the detail screen shows them."""
    table = app.screen.query_one(YearTable)
    return {
        str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)
    }


def clients(app: LedgersyncApp) -> int:
    """Companies listed in the wizard's picker."""
    tables = app.screen.query(CompanyTable)
    return tables.first().row_count if tables else 0


async def test_registering_an_api_organization_until_its_years_show_progress(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker()
    app = cockpit(pipeline)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Tall og Tast", "enter", "enter", "enter")
        assert app.screen.focused is not None
        app.screen.focused.post_message(events.Paste(pipeline.token("accountant") + "\n"))
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, "the accountant's clients", lambda: clients(app) >= 3, within=WORKERS_S)
        await pilot.press(*"havbris", "enter")
        await until(
            pilot, "the confirmation", lambda: getattr(app.screen.focused, "id", "") == "start"
        )
        await pilot.press("enter")
        await until(
            pilot,
            "year rows",
            lambda: (
                isinstance(app.screen, DetailScreen) and {"2023", "2024"} <= set(year_states(app))
            ),
            within=WORKERS_S,
        )
        await until(
            pilot,
            "both years synced",
            lambda: (
                year_states(app).get("2023") == "synced"
                and year_states(app).get("2024") == "synced"
            ),
            within=WORKERS_S,
        )
        table = app.screen.query_one(YearTable)
        assert "100%" in str(table.get_cell("2024", "progress"))

    rows = await fetch(pipeline.database_url, "SELECT action, actor FROM audit_log ORDER BY id")
    assert [r["action"] for r in rows] == ["org.register", "org.select_company"]
    assert {r["actor"] for r in rows} == {getpass.getuser()}, "who did it: the OS user"
    orgs = await fetch(pipeline.database_url, "SELECT name, company_id, state FROM organizations")
    assert [tuple(o) for o in orgs] == [("Tall og Tast", 204, "synced")]


async def test_troubleshooting_shows_the_failing_check_and_runs_them_again(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Utløpt AS", "expired")
    app = cockpit(pipeline)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(
            pilot,
            "needs attention",
            lambda: (
                table.row_count == 1
                and "needs attention" in str(table.get_cell(str(org_id), "state"))
            ),
            within=WORKERS_S,
        )
        await pilot.press("t")
        await until(
            pilot,
            "the checklist",
            lambda: isinstance(app.screen, ChecksScreen) and bool(app.screen.query(CheckItem)),
        )
        failed = [i.check for i in app.screen.query(CheckItem) if i.has_class("-fail")]
        assert [c.name.value for c in failed] == ["employee_token"]
        assert "expired or revoked" in failed[0].message

        await pilot.press("r")
        summary = app.screen.query_one("#checks-summary")
        await until(
            pilot,
            "a run from the UI",
            lambda: "from this UI" in str(summary.render()),
            within=WORKERS_S,
        )
        assert "“Employee token valid” failed" in str(summary.render())

    runs = await fetch(pipeline.database_url, "SELECT triggered_by FROM check_runs ORDER BY id")
    assert [r["triggered_by"] for r in runs][-1] == "tui"
    audit = await fetch(pipeline.database_url, "SELECT action FROM audit_log ORDER BY id")
    assert [r["action"] for r in audit] == ["org.register", "org.check"]


async def test_read_only_hides_and_refuses_every_action_that_changes_something(
    pipeline: Pipeline,
) -> None:
    org_id = await pipeline.add_org("Bare se AS", "good")
    app = cockpit(pipeline, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(pilot, "the organization", lambda: table.row_count == 1)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Register" not in titles
        assert {"Open", "Troubleshoot", "Jobs"} <= titles

        await pilot.press("n")
        assert isinstance(app.screen, HomeScreen), "no registration in read-only mode"
        assert not await app.run_action("register", default_namespace=app.screen)

        await pilot.press("enter")
        await until(
            pilot, "the organization's screen", lambda: isinstance(app.screen, DetailScreen)
        )
        palette = {c.title for c in app.get_system_commands(app.screen)}
        assert not palette & {"Re-sync", "Re-sync all", "Checks", "Token", "Remove", "Cancel"}
        for key in ("D", "x", "S", "T", "C", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen), f"{key} opened something"
            assert not isinstance(app.screen, ConfirmScreen)
        assert any("Read-only" in n.message for n in app._notifications)

        source = app.source
        assert isinstance(source, PgSource)
        for attempt in (
            source.register(name="Sneaky", method="saft", provider=None, token=None),
            source.remove(org_id),
            source.resync(org_id, None),
        ):
            try:
                await attempt
            except ReadOnly:
                continue
            raise AssertionError("a read-only source changed something")

    audit = await fetch(pipeline.database_url, "SELECT action FROM audit_log ORDER BY id")
    assert [r["action"] for r in audit] == ["org.register"], "only the CLI's registration"
    names = await fetch(pipeline.database_url, "SELECT name FROM organizations")
    assert [r["name"] for r in names] == ["Bare se AS"]


async def test_registering_a_saft_organization_imports_its_file(pipeline: Pipeline) -> None:
    await pipeline.start_worker()
    app = cockpit(pipeline)
    path = FIXTURES / VALID[0]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Eksempel AS", "enter", "down", "enter")
        assert getattr(app.screen.focused, "id", "") == "file-input"
        app.screen.focused.post_message(events.Paste(str(path)))  # type: ignore[union-attr]
        await pilot.pause()
        await pilot.press("enter")
        text = app.screen.query_one("#saft-text")
        await until(pilot, "the file queued", lambda: "queued" in str(text.render()))
        await pilot.press("escape")
        await until(
            pilot,
            "the organization synced",
            lambda: (
                isinstance(app.screen, DetailScreen)
                and app.screen.detail is not None
                and app.screen.detail.row.state == "synced"
            ),
            within=WORKERS_S,
        )
        truth = read_truth(path)
        assert app.screen.detail.row.progress.imported == truth.lines
        [file] = app.screen.detail.files
        assert (file.name, file.state, file.postings) == (path.name, "done", truth.lines)
        assert (file.total_debit, file.total_credit) == (truth.total_debit, truth.total_credit)
        assert app.screen.query_one(FileTable).row_count == 1

    audit = await fetch(pipeline.database_url, "SELECT action FROM audit_log ORDER BY id")
    assert [r["action"] for r in audit] == ["org.register", "saft.submit", "saft.import"]


async def test_a_failed_job_retried_from_the_jobs_screen_runs_again_and_resolves(
    pipeline: Pipeline,
) -> None:
    org_id = await pipeline.add_org("Prøv igjen AS", "good")
    conn = await connect(pipeline.database_url)
    try:
        job_id = await conn.fetchval(
            "INSERT INTO jobs (actor, args, org_id, state, attempts, error_class, error,"
            " traceback, stop_reason) VALUES ('validate_token', $1, $2, 'failed', 6,"
            " 'TimeoutError', 'Tripletex did not answer within 60 s.',"
            " 'Traceback (most recent call last): …', 'retries_exhausted') RETURNING id",
            [org_id],
            org_id,
        )
    finally:
        await conn.close()
    await pipeline.start_worker()
    app = cockpit(pipeline)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        table = app.screen.query_one(JobTable)
        await until(pilot, "the failed job", lambda: table.row_count == 1)
        assert "Tripletex did not answer" in str(app.screen.query_one("#job-detail").render())
        await pilot.press("r")
        await until(pilot, "the job gone from the failed ones", lambda: table.row_count == 0)
        await pilot.press("a", "a")  # failed → unresolved → all
        await until(
            pilot,
            "the job resolved by its new run",
            lambda: (
                table.row_count == 1 and "resolved" in str(table.get_cell(str(job_id), "state"))
            ),
            within=WORKERS_S,
        )

    audit = await fetch(pipeline.database_url, "SELECT action, detail FROM audit_log ORDER BY id")
    retried = [r["detail"]["job_id"] for r in audit if r["action"] == "job.retry"]
    assert retried == [job_id]
