"""A command's follow-up message: staged in the command's transaction, sent once it committed.

Through `shared.outbox`: should the process die between the commit and the send, a worker's relay
sends the message. Without a broker the command sends nothing (the caller wants no follow-up).
"""

from __future__ import annotations

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import outbox


async def stage(
    conn: asyncpg.Connection, broker: RedisBroker | None, actor: str, *args: outbox.Arg
) -> int | None:
    """Stage the message in the caller's transaction when there is a broker to send it with."""
    return None if broker is None else await outbox.stage(conn, actor, *args)


async def send(conn: asyncpg.Connection, broker: RedisBroker | None, staged: int | None) -> None:
    """Send the staged message, its transaction committed."""
    if broker is not None:
        await outbox.flush_on(conn, broker, [staged])
