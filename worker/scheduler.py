"""The scheduler (its own Procfile line): periodic re-syncs, and lost work sent again.

Every tick it re-syncs the current and previous year of each synced organization whose
interval has passed, and re-sends chunks whose message may have been lost (queued too long, or
running past their lease: a killed worker, an emptied Redis). Several schedulers may run: each
claim is one UPDATE … RETURNING, so no organization or chunk is sent twice by one tick.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import asyncpg
import structlog
from dramatiq.brokers.redis import RedisBroker

from shared.db.queries import Q
from shared.queue import send

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Schedule:
    """How often things happen."""

    #: seconds between re-syncs of a synced organization
    sync_interval_s: float = 3600.0
    #: seconds a chunk may sit queued before its message is sent again
    requeue_after_s: float = 300.0
    #: seconds between ticks
    tick_s: float = 10.0


async def tick(pool: asyncpg.Pool, broker: RedisBroker, schedule: Schedule) -> tuple[int, int]:
    """One round; returns (organizations re-synced, chunks re-sent)."""
    async with pool.acquire() as conn:
        due = [r["id"] for r in await conn.fetch(Q["orgs_due_for_sync"], schedule.sync_interval_s)]
        lost = [r["id"] for r in await conn.fetch(Q["chunks_lost"], schedule.requeue_after_s)]
    this_year = dt.date.today().year
    for org_id in due:
        for year in (this_year, this_year - 1):
            send(broker, "plan_sync", org_id, year)
    for chunk_id in lost:
        send(broker, "import_chunk", chunk_id)
    if due or lost:
        logger.info("scheduler_tick", resynced=len(due), resent_chunks=len(lost))
    return len(due), len(lost)


async def run(pool: asyncpg.Pool, broker: RedisBroker, schedule: Schedule) -> None:
    """Tick until cancelled."""
    logger.info(
        "scheduler_started",
        sync_interval_s=schedule.sync_interval_s,
        requeue_after_s=schedule.requeue_after_s,
        tick_s=schedule.tick_s,
    )
    while True:
        try:
            await tick(pool, broker, schedule)
        except Exception:  # a dropped connection or a busy Redis: the next tick tries again
            logger.exception("scheduler_tick_failed")
        await asyncio.sleep(schedule.tick_s)
