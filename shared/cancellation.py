"""Cancel an organization's sync between chunks, and resume it where it stopped.

Shared by the command line and the terminal UI. Cancelling sends nothing more: chunks already
running finish, queued ones are handed back untouched, and the organization stays `cancelled`
until resumed. Resuming sends `resume_sync` (the caller's business, see `shared.queue`), which
picks the work up from what Postgres holds: nothing already imported is imported again.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared import audit
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import OrgState


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


async def resume(conn: asyncpg.Connection, org: asyncpg.Record, *, actor: str) -> None:
    """Let a cancelled organization sync again; audited. Send `resume_sync` after this."""
    async with conn.transaction():
        await conn.fetchrow(Q["org_lock"], org["id"])
        if await conn.fetchrow(Q["org_resume"], org["id"]) is None:
            raise BadInput(
                f"{org['name']} is {org['state'].replace('_', ' ')}, not cancelled; "
                "there is nothing to resume."
            )
        await audit.record(conn, "org.resume", org["id"], actor=actor)
