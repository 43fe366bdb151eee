"""The Jobs screen on fixed data: the traceback follows the cursor; retry all that match."""

from __future__ import annotations

from tui_fake import JOBS, FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.jobs import JobsScreen
from tui.widgets.job_table import JobTable


async def test_the_side_pane_shows_the_highlighted_jobs_traceback() -> None:
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f")
        table = app.screen.query_one(JobTable)
        await until(pilot, "the jobs", lambda: table.row_count == len(JOBS))
        pane = app.screen.query_one("#job-detail")
        assert "Traceback (most recent call last)" in str(pane.render())
        await pilot.press("j")
        await until(pilot, "the next job", lambda: "account 1920 differs" in str(pane.render()))


async def test_retrying_every_job_that_matches_says_how_many_first() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f")
        table = app.screen.query_one(JobTable)
        await until(pilot, "the jobs", lambda: table.row_count == len(JOBS))
        await pilot.press("slash", *"tripletex", "enter")
        await until(pilot, "the filter", lambda: table.row_count == 2)
        await pilot.press("R")
        await until(pilot, "the question", lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question").render())
        assert question == "Retry 2 failed jobs matching “tripletex”?"
        await pilot.press("n")
        assert source.actions == [], "declined: nothing retried"
        await pilot.press("R", "y")
        await until(pilot, "the retry", lambda: bool(source.actions))
        assert isinstance(app.screen, JobsScreen)
    assert source.actions == [("retry_jobs", (901, 903))]
