"""Cancel and resume on real Postgres: only a syncing organization cancels, and it is audited."""

from __future__ import annotations

import asyncpg
import pytest

from shared import orgs
from shared.db.queries import Q
from shared.errors import BadInput


async def org(pg: asyncpg.Connection, state: str) -> asyncpg.Record:
    org_id = await pg.fetchval(Q["org_insert"], f"Org {state}", "api", "tripletex", state)
    return await pg.fetchrow(Q["org_by_id"], org_id)


async def test_cancel_stops_waiting_retries_and_resume_undoes_it(pg: asyncpg.Connection) -> None:
    syncing = await org(pg, "syncing")
    job = await pg.fetchrow(
        Q["job_record_failure"],
        "plan_sync",
        [syncing["id"], None],
        syncing["id"],
        None,
        None,
        "m",
        "retrying",
        "TransientUpstream",
        "503",
        "",
        None,
    )

    done = await orgs.cancel(pg, syncing, actor="kari")

    assert (done.running, done.jobs_stopped) == (0, 1)
    row = await pg.fetchrow(Q["org_by_id"], syncing["id"])
    assert (row["state"], row["cancel_requested"]) == ("cancelled", True)
    assert "Cancelled by kari" in row["state_reason"]
    stopped = await pg.fetchrow("SELECT state, stop_reason FROM jobs WHERE id = $1", job["id"])
    assert tuple(stopped) == ("failed", "cancelled")
    with pytest.raises(BadInput, match="not syncing"):
        await orgs.cancel(pg, row, actor="kari")

    await orgs.resume(pg, row, actor="kari")
    row = await pg.fetchrow(Q["org_by_id"], syncing["id"])
    assert (row["state"], row["cancel_requested"], row["state_reason"]) == ("syncing", False, None)
    with pytest.raises(BadInput, match="not cancelled"):
        await orgs.resume(pg, row, actor="kari")
    audit = await pg.fetch("SELECT actor, action FROM audit_log ORDER BY id")
    assert [tuple(a) for a in audit] == [("kari", "org.cancel"), ("kari", "org.resume")]


@pytest.mark.parametrize("state", ["validating", "synced", "needs_attention"])
async def test_only_a_syncing_organization_can_be_cancelled(
    pg: asyncpg.Connection, state: str
) -> None:
    found = await org(pg, state)
    with pytest.raises(BadInput, match="nothing to cancel"):
        await orgs.cancel(pg, found, actor="kari")
    row = await pg.fetchrow(Q["org_by_id"], found["id"])
    assert (row["state"], row["cancel_requested"]) == (state, False)
    assert await pg.fetchval("SELECT count(*) FROM audit_log") == 0
