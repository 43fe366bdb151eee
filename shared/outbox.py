"""A transactional outbox: follow-up messages that cannot be lost.

A step that changes state and calls for a next step stages the message (`stage`) in the same
transaction, and after the commit sends what it staged at once (`flush`). Should the process die
between the two, the relay (`relay`, run by every worker process and by the scheduler about once a
second) sends whatever is committed and still unsent; the scheduler's lost-work sweep is the last
safety net, not the path. A message is deleted only once Redis has it, so it may be sent twice,
never not at all: every actor is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared.db.queries import Q
from shared.queue import ACTOR_QUEUES, send

#: a relay sends messages staged at least this long ago (younger ones are their stager's to send)
RELAY_AFTER_S = 1.0
#: messages sent per relay round at most
RELAY_BATCH = 500

Arg = int | str | None


async def stage(conn: asyncpg.Connection, actor: str, *args: Arg) -> int | None:
    """Stage a message for `actor` in the caller's transaction; its outbox id (None when the
    same message already waits, to be sent by whoever staged it)."""
    if actor not in ACTOR_QUEUES:
        raise ValueError(f"unknown actor {actor!r}")
    staged: int | None = await conn.fetchval(Q["outbox_stage"], actor, list(args))
    return staged


async def flush(pool: asyncpg.Pool, broker: RedisBroker, ids: Sequence[int | None]) -> int:
    """Send these staged (and committed) messages now; how many were sent here."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return 0
    return await _send(pool, broker, wanted, 0.0)


async def flush_on(conn: asyncpg.Connection, broker: RedisBroker, ids: Sequence[int | None]) -> int:
    """`flush` on a connection the caller holds (outside any transaction of its own)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return 0
    return await _send_on(conn, broker, wanted, 0.0)


async def relay(pool: asyncpg.Pool, broker: RedisBroker, after_s: float = RELAY_AFTER_S) -> int:
    """Send every committed message staged more than `after_s` ago; how many were sent."""
    return await _send(pool, broker, None, after_s)


async def _send(
    pool: asyncpg.Pool, broker: RedisBroker, ids: list[int] | None, after_s: float
) -> int:
    async with pool.acquire() as conn:
        return await _send_on(conn, broker, ids, after_s)


async def _send_on(
    conn: asyncpg.Connection, broker: RedisBroker, ids: list[int] | None, after_s: float
) -> int:
    async with conn.transaction():
        rows = await conn.fetch(Q["outbox_claim"], ids, after_s, RELAY_BATCH)
        for row in rows:
            send(broker, row["actor"], *row["args"])
        await conn.execute(Q["outbox_delete"], [row["id"] for row in rows])
    return len(rows)
