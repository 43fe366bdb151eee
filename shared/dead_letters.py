"""Dramatiq's dead letters of jobs that were retried or resolved since: taken off the queue.

Dramatiq keeps a message that failed for good in `<ns>:<queue>.XQ` (a sorted set of its Redis
message ids) with its body in the hash `<ns>:<queue>.XQ.msgs`, for a week, whatever happens to
the job after. A job retried by an operator, or resolved by a later success, is no longer dead:
its letter goes, so the dead counts follow the jobs.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable

import redis

from shared.queue import ACTOR_QUEUES, NAMESPACE

#: hash entries read per HSCAN step
SCAN_COUNT = 500


def forget(client: redis.Redis, jobs: Iterable[tuple[str, str | None]]) -> int:
    """Remove the dead letters of these (actor, Dramatiq message id) jobs; how many went."""
    by_queue: dict[str, set[str]] = {}
    for actor, message_id in jobs:
        if message_id and actor in ACTOR_QUEUES:
            by_queue.setdefault(ACTOR_QUEUES[actor], set()).add(message_id)
    return sum(_forget_in(client, queue, ids) for queue, ids in by_queue.items())


def _forget_in(client: redis.Redis, queue: str, message_ids: Collection[str]) -> int:
    """Remove from one queue's dead letters those whose message id is one of `message_ids`."""
    key = f"{NAMESPACE}:{queue}.XQ"
    # a letter's field is its Redis message id (new for every enqueue); its body names the
    # Dramatiq message id, which a job's retries keep
    found = [
        field
        for field, body in client.hscan_iter(f"{key}.msgs", count=SCAN_COUNT)
        if _message_id(body) in message_ids
    ]
    if not found:
        return 0
    pipe = client.pipeline(transaction=True)
    pipe.zrem(key, *found)
    pipe.hdel(f"{key}.msgs", *found)
    removed, _ = pipe.execute()
    return int(removed)


def _message_id(body: bytes) -> str | None:
    """The Dramatiq message id in an encoded message (None when it is not one)."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    found = decoded.get("message_id") if isinstance(decoded, dict) else None
    return found if isinstance(found, str) else None
