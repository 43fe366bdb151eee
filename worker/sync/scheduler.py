"""The scheduler (its own Procfile line): checksum polls, nightly passes, and lost work sent again.

Every tick it sends a poll of the recent ranges of each synced API organization whose poll is
due (`poll_interval_s`; `webhook_poll_interval_s` where webhooks deliver every voucher event),
and a nightly pass to each whose night came (`worker.freshness`: a changed range is imported
again through the chunk path, instead of the hourly re-fetch of whole years this replaced);
and it sends again the work whose message may have been lost (a killed worker,
an emptied Redis, a dropped connection), found in Postgres alone:

- chunks queued too long, or running past their lease;
- SAF-T imports queued too long, or running past their lease;
- organizations validating too long (validate_token), or syncing with no year open (plan_sync);
- years importing too long without a chunk (plan_sync of the year);
- years whose chunks are all finished but that were never closed, and years reconciling too long
  (reconcile_year);
- organizations with chunks waiting to be sent and none queued or running (dispatched again);
- organizations with webhook deliveries waiting unapplied (apply_deliveries).

With each re-sync it sends `care_webhooks` (the subscriptions checked hourly).

"Too long" is `requeue_after_s`. Several schedulers may run: each claim is one UPDATE …
RETURNING, so no work is sent twice by one tick; work sent twice by accident is done once, since
every actor is idempotent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import structlog
from dramatiq.brokers.redis import RedisBroker

from shared.db.queries import Q
from shared.freshness import VOUCHER_EVENTS
from shared.orgs import claims
from shared.outbox import relay
from shared.queue import send
from worker.freshness.nightly import DEFAULT_NIGHT, Night, spread
from worker.redis_watch import LAST_STEP_S, backoff_steps
from worker.sync.progress import dispatch_pending

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Schedule:
    """How often things happen."""

    #: seconds between checksum polls of a synced organization's recent ranges
    poll_interval_s: float = 900.0
    #: the same where webhooks deliver every voucher event (the polls only back them up)
    webhook_poll_interval_s: float = 10_800.0
    #: seconds between cares of an organization's webhook subscriptions; None: no webhooks
    #: (no LEDGERSYNC_PUBLIC_URL), so nothing to care for
    care_interval_s: float | None = None
    #: when the nightly passes run (Oslo time, spread over a window)
    night: Night = DEFAULT_NIGHT
    #: seconds work may wait (queued, validating, planning, reconciling) before it is sent again
    requeue_after_s: float = 300.0
    #: seconds between ticks
    tick_s: float = 10.0
    #: seconds a webhook delivery may wait unapplied before its apply job is sent again
    deliveries_after_s: float = 30.0
    #: seconds one tick may take before it is given up (a row lock held elsewhere, a query that
    #: never answers) and tried again: a stuck tick would otherwise stop every re-send for good
    tick_deadline_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick sent."""

    #: polls of the recent ranges sent
    polls: int = 0
    #: nightly passes sent
    nightly: int = 0
    #: chunks sent again
    chunks: int = 0
    #: onboarding steps sent again: validations, plans, reconciliations
    steps: int = 0
    #: organizations whose waiting chunks were dispatched
    dispatched: int = 0
    #: SAF-T imports sent again
    files: int = 0
    #: follow-up messages relayed from the outbox (their stager died before sending them)
    relayed: int = 0
    #: organizations whose webhook deliveries waited too long: their apply job sent again
    deliveries: int = 0


#: onboarding steps sent again when lost: the query finding them, and the actor to send
#: (the organizations' own: `shared.orgs.claims`)
LOST_STEPS = (
    ("years_plan_lost", "plan_sync"),
    ("years_close_lost", "reconcile_year"),
    ("years_reconcile_lost", "reconcile_year"),
)


async def tick(pool: asyncpg.Pool, broker: RedisBroker, schedule: Schedule) -> Tick:
    """One round: relay the outbox, claim what is due or lost in Postgres, then send it."""
    relayed = await relay(pool, broker)
    after = schedule.requeue_after_s
    async with pool.acquire() as conn:
        polls = await _claim_polls(conn, schedule)
        nights = await _claim_nights(conn, schedule.night)
        lost = [r["id"] for r in await conn.fetch(Q["chunks_lost"], after)]
        files = [r["id"] for r in await conn.fetch(Q["saft_imports_lost"], after)]
        steps = await claims.claim_lost_steps(conn, after)
        steps += [
            (actor, tuple(row))
            for query, actor in LOST_STEPS
            for row in await conn.fetch(Q[query], after)
        ]
        stalled = [r["id"] for r in await conn.fetch(Q["orgs_dispatch_stalled"])]
        waiting = await conn.fetch(Q["webhook_deliveries_stalled"], schedule.deliveries_after_s)
        cares = await _claim_cares(conn, schedule.care_interval_s)
    for org_id in polls:
        send(broker, "poll_org", org_id, False)
    for org_id in cares:
        send(broker, "care_webhooks", org_id)
    for org_id in nights:
        send(broker, "poll_org", org_id, True)
    for row in waiting:
        send(broker, "apply_deliveries", row["org_id"])
    for chunk_id in lost:
        send(broker, "import_chunk", chunk_id)
    for import_id in files:
        send(broker, "import_saft", import_id)
    for actor, args in steps:
        send(broker, actor, *args)
    dispatched = [org_id for org_id in stalled if await dispatch_pending(pool, broker, org_id)]
    done = Tick(
        len(polls),
        len(nights),
        len(lost),
        len(steps),
        len(dispatched),
        len(files),
        relayed,
        len(waiting),
    )
    if done != Tick():
        logger.info(
            "scheduler_tick",
            polls=polls,
            nightly=nights,
            resent_chunks=done.chunks,
            resent_files=done.files,
            dispatched_orgs=dispatched,
            relayed=relayed,
            resent_deliveries=done.deliveries,
            cares=cares,
            resent_steps=[f"{actor}{args}" for actor, args in steps],
        )
    return done


async def _claim_polls(conn: asyncpg.Connection, schedule: Schedule) -> list[int]:
    """Synced API organizations whose poll of the recent ranges is due; claimed."""
    rows = await conn.fetch(
        Q["freshness_polls_due"],
        schedule.poll_interval_s,
        schedule.webhook_poll_interval_s,
        list(VOUCHER_EVENTS),
    )
    return [r["org_id"] for r in rows]


async def _claim_cares(conn: asyncpg.Connection, interval_s: float | None) -> list[int]:
    """Synced API organizations whose subscriptions' care is due; claimed (none without
    webhooks)."""
    if interval_s is None:
        return []
    return [r["org_id"] for r in await conn.fetch(Q["freshness_care_due"], interval_s)]


async def _claim_nights(conn: asyncpg.Connection, night: Night) -> list[int]:
    """Synced API organizations whose nightly pass is due, claimed (the next night set, spread
    over the window per token); an organization without one gets its first night."""
    rows = await conn.fetch(Q["freshness_nightly_candidates"])
    if not rows:
        return []
    now = dt.datetime.now(dt.UTC)
    nights = spread({r["id"]: r["token_fingerprint"] for r in rows}, now, night)
    unset = [r["id"] for r in rows if r["unset"]]
    if unset:
        await conn.execute(Q["freshness_nightly_set"], unset, [nights[i] for i in unset])
    due = [r["id"] for r in rows if not r["unset"]]
    claimed = await conn.fetch(Q["freshness_nightly_due"], due, [nights[i] for i in due])
    return [r["org_id"] for r in claimed]


async def run(pool: asyncpg.Pool, broker: RedisBroker, schedule: Schedule) -> None:
    """Tick until cancelled; a failed or stuck tick (Postgres or Redis away, a lock held elsewhere)
    is logged and tried again."""
    logger.info(
        "scheduler_started",
        poll_interval_s=schedule.poll_interval_s,
        webhook_poll_interval_s=schedule.webhook_poll_interval_s,
        nightly_at=schedule.night.at.isoformat(),
        nightly_window_s=schedule.night.window_s,
        requeue_after_s=schedule.requeue_after_s,
        tick_s=schedule.tick_s,
    )
    backoff: Iterator[float] | None = None
    while True:
        try:
            async with asyncio.timeout(schedule.tick_deadline_s):
                await tick(pool, broker, schedule)
        except Exception as exc:  # the next tick finds the same work in Postgres
            backoff = backoff or backoff_steps(schedule.tick_s, max(schedule.tick_s, LAST_STEP_S))
            pause = next(backoff)
            logger.warning(
                "scheduler_tick_failed",
                error=type(exc).__name__,
                message=str(exc),
                next_tick_in_s=pause,
            )
            await asyncio.sleep(pause)
            continue
        backoff = None
        await asyncio.sleep(schedule.tick_s)
