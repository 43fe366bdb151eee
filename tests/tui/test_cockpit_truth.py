"""What the cockpit shows against rows seeded in Postgres and Redis (issue 18): a pending retry
and dead letters in the queue figures, retry-all leaving permanent failures, token
fingerprints that tell tokens apart, an error with its time that goes once recovered, the alert
of an organization entering needs-attention."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import pytest
from cockpit_seed import dead_letter, failed_job, pending_retry, stopped
from textual.widgets import Label, Static
from tui_pilot import until

from shared import orgs
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.jobs import StopReason
from shared.models import Method, OrgState, Provider
from tui.app import LedgersyncApp
from tui.pg_source import PgSource
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import DetailScreen
from tui.widgets.job_table import JobTable
from tui.widgets.org_pane import OrgPane
from tui.widgets.org_table import OrgTable
from tui.widgets.timeline import Timeline

SIZE = (160, 45)
SECRET_KEY = "a-test-secret-key-of-some-length"


@pytest.fixture
async def source(database_url: str, redis_url: str) -> AsyncIterator[PgSource]:
    settings = Settings.from_env(
        {
            "LEDGERSYNC_DATABASE_URL": database_url,
            "LEDGERSYNC_REDIS_URL": redis_url,
            "LEDGERSYNC_SECRET_KEY": SECRET_KEY,
        }
    )
    built = PgSource(settings)
    yield built
    await built.close()


def text(app: LedgersyncApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def queue_line(app: LedgersyncApp, queue: str) -> list[str]:
    """One queue's line of the Jobs screen's panel: name, waiting, delayed, dead."""
    lines = text(app, "#panel-queues-text").splitlines()
    return next(line.split() for line in lines if line.startswith(queue))


def errors(app: LedgersyncApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def alerts(app: LedgersyncApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Alert"]


async def test_queue_figures_follow_a_pending_retry_a_retry_and_a_permanent_failure(
    source: PgSource, pg: asyncpg.Connection, redis_url: str
) -> None:
    # Given a retry pending in Dramatiq's delay queue, and two jobs dead: one transient, one
    # permanent (a revoked token), each with its dead letter
    pending_retry(redis_url, "import_chunk", 77)
    transient = await failed_job(
        pg, stopped("plan_sync", [5, None], message_id=dead_letter(redis_url, "plan_sync", 5, None))
    )
    revoked = await failed_job(
        pg,
        stopped(
            "validate_token",
            [5],
            message_id=dead_letter(redis_url, "validate_token", 5),
            stop_reason=StopReason.PERMANENT,
            error="The employee token is revoked",
        ),
    )
    app = LedgersyncApp(source, refresh_s=0.2)
    async with app.run_test(size=SIZE) as pilot:
        queues = app.screen.query_one("#queues", Label)
        await until(pilot, "the delayed retry", lambda: "+1 delayed" in str(queues.render()))
        await pilot.press("f")
        table = app.screen.query_one(JobTable)
        await until(pilot, "the jobs", lambda: table.row_count == 2)
        await until(pilot, "the queues", lambda: "chunks" in text(app, "#panel-queues-text"))
        assert queue_line(app, "chunks") == ["chunks", "0", "1", "0"]
        assert queue_line(app, "onboarding") == ["onboarding", "0", "0", "2"]
        # When retrying all
        await pilot.press("R")
        await until(pilot, "the question", lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question").render())
        assert question.startswith("Retry 1 failed job?\n1 permanent failure")
        await pilot.press("y")
        # Then the transient one is sent again and its dead letter gone; the revoked one stays
        await until(pilot, "the dead count", lambda: queue_line(app, "onboarding")[3] == "1")
        assert queue_line(app, "onboarding") == ["onboarding", "1", "0", "1"]
        assert errors(app) == [], "no WRONGTYPE (or other) toast"
    states = {r["id"]: r["state"] for r in await pg.fetch("SELECT id, state FROM jobs")}
    assert states == {transient: "retrying", revoked: "failed"}


def tripletex_token(label: str) -> str:
    """A token shaped like Tripletex's, ending in `fQ==` as they all do."""
    raw = b'{"id":1,"token":"' + label.encode() + b'"}'
    while len(raw) % 3 != 1:
        raw = raw[:-1] + b" }"
    return base64.b64encode(raw).decode()


async def test_the_detail_screen_tells_two_tokens_apart_by_fingerprint(
    source: PgSource, pg: asyncpg.Connection
) -> None:
    cipher = TokenCipher(SECRET_KEY)
    tokens = [tripletex_token("first-1111"), tripletex_token("second-2222")]
    assert tokens[0][-4:] == tokens[1][-4:] == "fQ=="
    for name, token in zip(("Alfa AS", "Beta AS"), tokens, strict=True):
        await orgs.register(
            pg, name=name, method=Method.API, provider=Provider.TRIPLETEX, token=token,
            cipher=cipher,
        )  # fmt: skip
    shown = []
    app = LedgersyncApp(source, refresh_s=0.2)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(pilot, "the organizations", lambda: table.row_count == 2)
        for step in ("enter", "escape,j,enter"):
            await pilot.press(*step.split(","))
            await until(pilot, "the detail", lambda: isinstance(app.screen, DetailScreen))
            await until(pilot, "its heading", lambda: "token fp:" in text(app, "#org-head"))
            shown.append(text(app, "#org-head").split(" · token ")[1].split()[0])
    assert shown == [cipher.fingerprint(token) for token in tokens]
    assert shown[0] != shown[1]


async def _file_refused(pg: asyncpg.Connection, name: str) -> tuple[int, dt.datetime]:
    """A SAF-T organization that needs attention: its id and when its error happened."""
    org_id = await orgs.register(
        pg, name=name, method=Method.SAFT, provider=None, token=None, cipher=None
    )
    await pg.execute(Q["org_set_state"], org_id, OrgState.NEEDS_ATTENTION, "File refused")
    at = await pg.fetchval("SELECT last_error_at FROM organizations WHERE id = $1", org_id)
    return org_id, at


async def test_an_error_shows_its_time_and_goes_with_recovery_kept_in_the_timeline(
    source: PgSource, pg: asyncpg.Connection
) -> None:
    org_id, _ = await _file_refused(pg, "Feil AS")
    await pg.execute(Q["org_set_state"], org_id, OrgState.SYNCING, None)
    at = await pg.fetchval("SELECT last_error_at FROM organizations WHERE id = $1", org_id)
    app = LedgersyncApp(source, refresh_s=0.2)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.screen.query_one(OrgPane)
        await until(pilot, "the error", lambda: "Last error" in str(pane.render()))
        assert f"Last error {at:%H:%M:%S} (" in str(pane.render())
        # When the organization is synced again
        await pg.execute(Q["org_set_state"], org_id, OrgState.SYNCED, None)
        await until(pilot, "the recovery", lambda: "synced" in str(pane.render()))
        assert "Last error" not in str(pane.render())
        assert "File refused" not in str(pane.render())
        await pilot.press("enter")
        await until(pilot, "the detail", lambda: isinstance(app.screen, DetailScreen))
        timeline = app.screen.query_one(Timeline)
        await until(pilot, "the timeline", lambda: timeline.row_count > 0)
        told = [str(timeline.get_row_at(i)[2]) for i in range(timeline.row_count)]
    assert any(
        line.startswith("Synced again: cleared the error of") and line.endswith(": File refused")
        for line in told
    ), told


async def test_the_detail_screen_says_since_when_an_organization_needs_attention(
    source: PgSource, pg: asyncpg.Connection
) -> None:
    org_id, at = await _file_refused(pg, "Stuck AS")
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(DetailScreen(org_id))
        await until(pilot, "the problem", lambda: "File refused" in text(app, "#org-problem"))
        problem = text(app, "#org-problem")
    assert problem.startswith(f"Since {at:%H:%M:%S} (")
    assert problem.endswith("): File refused")


async def test_an_organization_entering_needs_attention_raises_one_alert_that_goes_there(
    source: PgSource, pg: asyncpg.Connection
) -> None:
    # Given one organization needing attention already, and one that is fine
    await _file_refused(pg, "Alt ille AS")
    org_id = await orgs.register(
        pg, name="Snart ille AS", method=Method.SAFT, provider=None, token=None, cipher=None
    )
    app = LedgersyncApp(source, refresh_s=0.2)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(OrgTable)
        await until(pilot, "the organizations", lambda: table.row_count == 2)
        await pilot.press("f")  # on the Jobs screen meanwhile
        # When the second one needs attention
        await pg.execute(Q["org_set_state"], org_id, OrgState.NEEDS_ATTENTION, "File refused")
        told = ["Snart ille AS needs attention: press ! to open it."]
        await until(pilot, "the alert", lambda: alerts(app) == told)
        await pilot.pause(1.0)  # five more refreshes
        assert alerts(app) == told, "once, and none for the one that needed it at start-up"
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.org_id == org_id
