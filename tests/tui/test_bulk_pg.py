"""Bulk actions against the real Postgres and Redis (issue 18): the shared functions the command
line uses do the work, write the audit lines and send the messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import pytest
import redis
from cockpit_seed import failed_job, stopped
from textual.pilot import Pilot
from tui_pilot import until

from shared import orgs
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.jobs import StopReason
from shared.models import Method, Provider
from tui.app import LedgersyncApp
from tui.pg_source import PgSource
from tui.screens.confirm import ConfirmScreen
from tui.widgets.org_table import OrgTable

SIZE = (160, 45)
KEY = "bulk-actions-test-secret-key-0123"


@pytest.fixture
async def app(database_url: str, redis_url: str) -> AsyncIterator[LedgersyncApp]:
    """The App on the real source, refreshing only when asked."""
    environ = {"LEDGERSYNC_DATABASE_URL": database_url, "LEDGERSYNC_REDIS_URL": redis_url}
    source = PgSource(Settings.from_env(environ))
    yield LedgersyncApp(source, refresh_s=3600)
    await source.close()


async def synced_org(pg: asyncpg.Connection, name: str, company_id: int) -> int:
    """An API organization with its company chosen and synced; its id."""
    new = orgs.NewOrg(name, Method.API, Provider.TRIPLETEX, token=f"token-of-{name}")
    org_id = await orgs.register(pg, new, cipher=TokenCipher(KEY))
    await pg.execute(
        "UPDATE organizations SET company_id = $2, company_name = $3, state = 'synced' "
        "WHERE id = $1",
        org_id,
        company_id,
        name,
    )
    return org_id


async def mark_all_and(pilot: Pilot[Any], key: str) -> str:
    """Mark both organizations, press `key`, answer yes; the question that was asked."""
    table = pilot.app.screen.query_one(OrgTable)
    await until(pilot, "the organizations", lambda: table.row_count == 2)
    await pilot.press("space", "space", key)
    await until(pilot, "the question", lambda: isinstance(pilot.app.screen, ConfirmScreen))
    asked = str(pilot.app.screen.query_one("#confirm-question").render())
    await pilot.press("y")
    await until(pilot, "the outcome", lambda: len(pilot.app._notifications) > 0)
    return asked


async def test_bulk_sync_of_two_writes_their_audit_lines_and_requests_their_sync(
    app: LedgersyncApp, pg: asyncpg.Connection, redis_client: redis.Redis
) -> None:
    ids = [await synced_org(pg, "Alfa AS", 101), await synced_org(pg, "Beta AS", 102)]
    async with app.run_test(size=SIZE) as pilot:
        asked = await mark_all_and(pilot, "ctrl+s")
        said = [n.message for n in app._notifications]
    assert asked.splitlines()[1:] == [f"  • Alfa AS (#{ids[0]})", f"  • Beta AS (#{ids[1]})"]
    assert said == ["Synchronizing 2 organizations again."]
    audit = await pg.fetch("SELECT action, org_id FROM audit_log WHERE action = 'org.sync'")
    assert sorted(row["org_id"] for row in audit) == ids
    requested = await pg.fetch("SELECT id FROM organizations WHERE plan_requested_at IS NOT NULL")
    assert sorted(row["id"] for row in requested) == ids
    sent = [
        orjson.loads(redis_client.hget("dramatiq:onboarding.msgs", message_id) or b"{}")
        for message_id in redis_client.lrange("dramatiq:onboarding", 0, -1)
    ]
    assert sorted(m["args"][0] for m in sent if m["actor_name"] == "plan_sync") == ids


async def test_bulk_retry_leaves_permanent_failures_alone(
    app: LedgersyncApp, pg: asyncpg.Connection
) -> None:
    alfa, beta = await synced_org(pg, "Alfa AS", 101), await synced_org(pg, "Beta AS", 102)
    transient = await failed_job(pg, stopped("plan_sync", [alfa, None]), org_id=alfa)
    revoked = await failed_job(
        pg,
        stopped(
            "validate_token",
            [beta],
            stop_reason=StopReason.PERMANENT,
            error="The employee token is revoked",
        ),
        org_id=beta,
    )
    async with app.run_test(size=SIZE) as pilot:
        asked = await mark_all_and(pilot, "R")
        said = [n.message for n in app._notifications]
    assert asked.splitlines()[:3] == [
        "Retry 1 failed job of 2 organizations?",
        f"  • Alfa AS (#{alfa}): 1 job",
        f"  • Beta AS (#{beta}): 1 permanent failure, left alone",
    ]
    assert said == ["Retried 1 job of 2 organizations."]
    states = {r["id"]: r["state"] for r in await pg.fetch("SELECT id, state FROM jobs")}
    assert states == {transient: "retrying", revoked: "failed"}
    audit = await pg.fetch("SELECT org_id, detail FROM audit_log WHERE action = 'job.retry'")
    assert [(row["org_id"], row["detail"]["job_id"]) for row in audit] == [(alfa, transient)]
