"""Stopping an organization: cancel its sync between chunks, resume it, remove it for good.

Cancelling sends nothing more: chunks already running finish, queued ones are handed back
untouched, and the organization stays `cancelled` until resumed. Resuming sends `resume_sync`,
which picks the work up from what Postgres holds: nothing already imported is imported again.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import OrgState
from shared.orgs import followups, webhooks
from shared.saft import submit as saft_submit


@dataclass(frozen=True, slots=True)
class Cancelled:
    """What cancelling did."""

    org_id: int
    #: chunks still running, which finish
    running: int
    #: jobs that were waiting for a retry, now stopped as cancelled
    jobs_stopped: int


async def cancel(conn: asyncpg.Connection, org: asyncpg.Record, *, actor: str) -> Cancelled:
    """Stop the organization's sync between chunks; audited. BadInput unless it is syncing."""
    reason = (
        f"Cancelled by {actor}; chunks already running finish, nothing more starts; "
        "`ledgersync org resume` continues where it stopped."
    )
    async with conn.transaction():
        locked = await conn.fetchrow(Q["org_lock"], org["id"])
        if locked["cancel_requested"] or locked["state"] != OrgState.SYNCING:
            raise BadInput(
                f"{org['name']} is {locked['state'].replace('_', ' ')}, not syncing; "
                "there is nothing to cancel."
            )
        running = await conn.fetchval(Q["org_cancel"], org["id"], reason)
        stopped = await conn.fetch(Q["jobs_stop_cancelled"], org["id"])
        await audit.record(conn, "org.cancel", org["id"], {"running_chunks": running}, actor=actor)
    return Cancelled(org["id"], int(running), len(stopped))


async def resume(
    conn: asyncpg.Connection,
    org: asyncpg.Record,
    *,
    actor: str,
    broker: RedisBroker | None = None,
) -> None:
    """Let a cancelled organization sync again; audited. With `broker`, `resume_sync` is sent
    once committed."""
    async with conn.transaction():
        await conn.fetchrow(Q["org_lock"], org["id"])
        if await conn.fetchrow(Q["org_resume"], org["id"]) is None:
            raise BadInput(
                f"{org['name']} is {org['state'].replace('_', ' ')}, not cancelled; "
                "there is nothing to resume."
            )
        await audit.record(conn, "org.resume", org["id"], actor=actor)
        staged = await followups.stage(conn, broker, "resume_sync", org["id"])
    await followups.send(conn, broker, staged)


async def remove(conn: asyncpg.Connection, org_id: int) -> None:
    """Remove an organization and all its data (its stored SAF-T files too); its webhook
    subscriptions are deleted at Tripletex by `remove_webhooks`, staged here."""
    saft_folders = await saft_submit.stored_folders(conn, org_id)
    async with conn.transaction():
        await audit.record(conn, "org.remove", None, {"removed_org_id": org_id})
        await webhooks.release(conn, org_id)
        await conn.execute(Q["org_delete"], org_id)
    saft_submit.remove_folders(saft_folders)
