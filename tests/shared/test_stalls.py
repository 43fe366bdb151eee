"""Stalled organizations: work to do, nothing of theirs running or moving for more than 10 s."""

from __future__ import annotations

import asyncpg

from shared.db.queries import Q
from shared.status import outbox, stalls


async def _org(pg: asyncpg.Connection, name: str, state: str, idle_s: int) -> int:
    org_id = int(await pg.fetchval(Q["org_insert"], name, "api", "tripletex", state))
    await pg.execute(
        "UPDATE organizations SET updated_at = now() - make_interval(secs => $2) WHERE id = $1",
        org_id,
        idle_s,
    )
    return org_id


async def test_only_organizations_with_work_and_nothing_moving_are_stalled(
    pg: asyncpg.Connection,
) -> None:
    stalled = await _org(pg, "Stille AS", "syncing", 60)
    await _org(pg, "Fersk AS", "syncing", 2)  # changed state just now
    await _org(pg, "Ferdig AS", "synced", 600)  # nothing to do
    running = await _org(pg, "Travel AS", "syncing", 600)
    await pg.execute(
        "INSERT INTO chunks (org_id, year, date_from, date_to, state, started_at, queued_at)"
        " VALUES ($1, 2024, '2024-01-01', '2025-01-01', 'running',"
        " now() - interval '5 minutes', now() - interval '5 minutes')",
        running,
    )
    found = await stalls(pg, 10.0)
    assert [o["id"] for o in found] == [stalled]
    assert found[0]["idle_s"] >= 59


async def test_the_outbox_says_what_waits_unsent(pg: asyncpg.Connection) -> None:
    assert await outbox(pg) == {"waiting": 0, "oldest_s": 0.0}
    await pg.execute(Q["outbox_stage"], "plan_sync", [7])
    await pg.execute(Q["outbox_stage"], "plan_sync", [7])  # the same message waits once
    assert (await outbox(pg))["waiting"] == 1
