"""Rows as the system writes them, for the cockpit's figures: Dramatiq's own Redis structures
(a pending retry, a dead letter) and failed jobs in Postgres."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import asyncpg
import redis
from dramatiq import Message

from shared.db.queries import Q
from shared.jobs import StopReason
from shared.queue import ACTOR_QUEUES, HEARTBEATS, send, sender
from shared.worker_names import WorkerName, register
from worker.failures import Failure

#: fetches a consumer may come back empty from before a test gives up
FETCH_TRIES = 50


def pending_retry(redis_url: str, actor: str, *args: Any, delay_ms: int = 3_600_000) -> str:
    """A message enqueued with a delay by Dramatiq's own RedisBroker (as a retry is); its id."""
    broker = sender(redis_url)
    try:
        message: Message[None] = Message(
            queue_name=ACTOR_QUEUES[actor], actor_name=actor, args=args, kwargs={}, options={}
        )
        return broker.enqueue(message, delay=delay_ms).message_id
    finally:
        broker.close()


def take(redis_url: str, queue: str) -> Any:
    """Fetch one message off `queue` as a worker does (it stays unacked); the consumer and it."""
    broker = sender(redis_url)
    consumer = broker.consume(queue, prefetch=1, timeout=100)
    for _ in range(FETCH_TRIES):
        message = next(consumer)
        if message is not None:
            return broker, consumer, message
    raise AssertionError(f"nothing to fetch on {queue}")


def dead_letter(redis_url: str, actor: str, *args: Any) -> str:
    """A message sent, fetched and failed for good (Dramatiq's nack: into `<queue>.XQ`); its
    Dramatiq message id."""
    broker = sender(redis_url)
    try:
        send(broker, actor, *args)
    finally:
        broker.close()
    taker, consumer, message = take(redis_url, ACTOR_QUEUES[actor])
    try:
        consumer.nack(message)
    finally:
        consumer.close()
        taker.close()
    return str(message.message_id)


def stopped(
    actor: str,
    args: list[Any],
    *,
    message_id: str | None = None,
    stop_reason: StopReason = StopReason.RETRIES_EXHAUSTED,
    error: str = "Tripletex answered 503",
) -> Failure:
    """The last attempt of a job that stopped for good on an upstream error, as a worker has it."""
    return Failure(actor, args, message_id, "UpstreamError", error, "", stop_reason)


async def failed_job(
    conn: asyncpg.Connection, failure: Failure, *, org_id: int | None = None
) -> int:
    """The failure's job row, of `org_id` (no year, no chunk), as the workers record it; its id."""
    row = await conn.fetchrow(
        Q["job_record_failure"],
        failure.actor,
        failure.args,
        org_id,
        None,
        None,
        failure.message_id,
        failure.state,
        failure.error_class,
        failure.error,
        failure.traceback,
        failure.stop_reason,
    )
    return int(row["id"])


async def api_year(
    conn: asyncpg.Connection, name: str, year: int, months: dict[int, tuple[str, int | None]]
) -> int:
    """An organization syncing `year` with one chunk per month given: {month: (state, postings)},
    started now; its id."""
    org_id = int(
        await conn.fetchval(
            "INSERT INTO organizations (name, method, provider, state) "
            "VALUES ($1, 'api', 'tripletex', 'syncing') RETURNING id",
            name,
        )
    )
    await conn.execute(
        "INSERT INTO sync_years (org_id, year, state) VALUES ($1, $2, 'importing')", org_id, year
    )
    for month, (state, postings) in months.items():
        end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        await conn.execute(
            "INSERT INTO chunks (org_id, year, date_from, date_to, state, postings, finished_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $5 = 'done' THEN now() END)",
            org_id,
            year,
            dt.date(year, month, 1),
            end,
            state,
            postings,
        )
    return org_id


def worker_beat(client: redis.Redis, worker_id: str, name: WorkerName | None) -> None:
    """A worker process heard from now, with the name it wrote at boot (or none)."""
    client.zadd(HEARTBEATS, {worker_id: time.time() * 1000})
    if name is not None:
        register(client, worker_id, name)
