"""The system at a glance: queues, workers with heartbeat age, organizations by state, jobs."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import redis

from shared import worker_names
from shared.db.queries import Q
from shared.jobs import count_by_state
from shared.queue import HEARTBEAT_TIMEOUT_MS, HEARTBEATS, NAMESPACE, QUEUES, SENDER_PREFIX

#: a worker heard from within this many seconds counts as alive
ALIVE_WITHIN_S = HEARTBEAT_TIMEOUT_MS // 1000
#: an organization with work to do and nothing moving for this long is stalled
STALL_AFTER_S = 10.0


def queue_depths(client: redis.Redis) -> list[dict[str, Any]]:
    """Per queue: messages ready, delayed (retries and backoffs), and dead-lettered.

    Read as Dramatiq's RedisBroker stores them (its dispatch.lua): `<ns>:<q>` is the list of
    ready message ids; a delayed message goes on the queue `<q>.DQ` (again a list, with its
    bodies in the hash `<q>.DQ.msgs`), and a worker that fetches it keeps it in memory until
    its eta, still in that hash until it is moved back onto `<q>`: so the hash, not the list,
    counts every pending retry. Dead letters are the sorted set `<q>.XQ`. One MULTI, so the
    three figures are of one moment.
    """
    pipe = client.pipeline(transaction=True)
    for queue in QUEUES:
        key = f"{NAMESPACE}:{queue}"
        pipe.llen(key)
        pipe.hlen(f"{key}.DQ.msgs")
        pipe.zcard(f"{key}.XQ")
    found = pipe.execute()
    return [
        {"name": queue, "depth": int(ready), "delayed": int(delayed), "dead": int(dead)}
        for queue, ready, delayed, dead in zip(
            QUEUES, found[0::3], found[1::3], found[2::3], strict=True
        )
    ]


def workers(client: redis.Redis) -> list[dict[str, Any]]:
    """Worker processes known to Redis, with the seconds since their last heartbeat and a
    readable `name` (host, pid, slot, queues: what each wrote at boot, see shared.worker_names)."""
    now_ms = time.time() * 1000
    beats: list[tuple[bytes, float]] = client.zrange(  # type: ignore[assignment]
        HEARTBEATS, 0, -1, withscores=True
    )
    ages = {
        worker_id.decode(): round(max(0.0, now_ms - score) / 1000, 1)
        for worker_id, score in beats
        if not worker_id.startswith(SENDER_PREFIX.encode())  # a CLI or UI that sent a message
    }
    named = worker_names.names(client, list(ages))
    found = [
        {"id": worker_id, "heartbeat_age_s": age, **_described(worker_id, named.get(worker_id))}
        for worker_id, age in ages.items()
    ]
    return sorted(found, key=lambda worker: float(worker["heartbeat_age_s"]))


def _described(worker_id: str, name: worker_names.WorkerName | None) -> dict[str, Any]:
    """`name`, and `host`, `pid`, `slot`, `queues` where the worker wrote them (else None)."""
    if name is None:
        return {
            "name": worker_names.unnamed(worker_id),
            "host": None,
            "pid": None,
            "slot": None,
            "queues": None,
        }
    return {
        "name": name.label(),
        "host": name.host,
        "pid": name.pid,
        "slot": name.slot,
        "queues": list(name.queues),
    }


def alive(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workers of `workers()` heard from recently enough to count as alive."""
    return [worker for worker in found if worker["heartbeat_age_s"] < ALIVE_WITHIN_S]


async def organizations_by_state(conn: asyncpg.Connection) -> dict[str, int]:
    """How many organizations are in each state."""
    return {row["state"]: row["count"] for row in await conn.fetch(Q["orgs_by_state"])}


async def stalls(conn: asyncpg.Connection, after_s: float = STALL_AFTER_S) -> list[dict[str, Any]]:
    """Organizations with work to do and nothing of theirs running or moving for `after_s`."""
    return [
        {"id": r["id"], "name": r["name"], "idle_s": round(r["idle_s"], 1)}
        for r in await conn.fetch(Q["orgs_stalled"], after_s)
    ]


async def outbox(conn: asyncpg.Connection) -> dict[str, Any]:
    """Follow-up messages committed and not yet sent, and the age of the oldest."""
    row = await conn.fetchrow(Q["outbox_waiting"])
    return {"waiting": row["waiting"], "oldest_s": round(row["oldest_s"], 1)}


async def snapshot(conn: asyncpg.Connection, client: redis.Redis) -> dict[str, Any]:
    """`status --json`: workers, queues, organizations by state, failed and retrying jobs,
    stalled organizations and the outbox."""
    return {
        "workers": workers(client),
        "queues": queue_depths(client),
        "organizations": await organizations_by_state(conn),
        "jobs": await count_by_state(conn),
        "stalls": await stalls(conn),
        "outbox": await outbox(conn),
    }
