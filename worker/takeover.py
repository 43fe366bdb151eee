"""Taking over what dead worker processes held: their unacknowledged messages, back on their queues.

Dramatiq's Redis broker keeps every message a worker process fetched in that process's ack set
until it is acknowledged. It gives a dead process's messages back only in its "maintenance", which
runs on one dispatch command in a thousand, for that command's queue alone: an idle worker
fetches a queue every 0.5 to 1 s, so what a dead process held on `chunks` came back some
13 minutes after its heartbeat timed out, on average, and the chunk it leased waited as long
(or for its lease and the scheduler's sweep). So this package does it itself, at once and
atomically:

- a worker line hands back what a slot held as soon as the slot's process ends (`worker.line`);
- every worker process looks every few seconds for processes whose heartbeat has been silent for
  HEARTBEAT_TIMEOUT_MS (a line killed whole, a machine gone) and hands back what they held
  (`take_over_forever`). A living process beats at least once a second, stopping ones included:
  Dramatiq keeps its consumers fetching until the actors in flight are done.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import redis
import redis.asyncio as aioredis
import structlog

from shared.queue import HEARTBEAT_TIMEOUT_MS, HEARTBEATS, NAMESPACE, QUEUES, SENDER_PREFIX

#: Dramatiq's ack sets: `<prefix><worker id>.<queue>`, the messages a worker fetched
ACKS_PREFIX = f"{NAMESPACE}:__acks__."
#: seconds between two looks for dead workers, and the longest pause after failures
SWEEP_INTERVAL_S = 5.0
SWEEP_MAX_PAUSE_S = 60.0

logger = structlog.get_logger(__name__)

# the unacknowledged messages in the ack sets KEYS[2..], back on their queues (ARGV[3..]), and the
# worker ARGV[1] forgotten: what Dramatiq's maintenance does for a worker whose heartbeat timed
# out, for every queue at once. With a cutoff (ARGV[2], ms), only if the worker's last heartbeat
# is no later: one that beat meanwhile is alive after all (-1).
HAND_BACK = """
local beat = redis.call("zscore", KEYS[1], ARGV[1])
if ARGV[2] ~= "" and beat and tonumber(beat) > tonumber(ARGV[2]) then
    return -1
end
local n = 0
for i = 2, #KEYS do
    local queue = ARGV[i + 1]
    for _, id in ipairs(redis.call("smembers", KEYS[i])) do
        if redis.call("hexists", queue .. ".msgs", id) == 1 then
            redis.call("rpush", queue, id)
            n = n + 1
        end
    end
    redis.call("del", KEYS[i])
end
redis.call("zrem", KEYS[1], ARGV[1])
return n
"""


def _script_args(
    worker_id: str, cutoff_ms: float | None, queues: Sequence[str]
) -> tuple[int, list[str]]:
    """HAND_BACK's number of keys, then its keys and arguments, for one worker."""
    names = [name for queue in queues for name in (queue, f"{queue}.DQ")]
    keys = [HEARTBEATS, *(f"{ACKS_PREFIX}{worker_id}.{name}" for name in names)]
    cutoff = "" if cutoff_ms is None else str(int(cutoff_ms))
    return len(keys), [*keys, worker_id, cutoff, *(f"{NAMESPACE}:{name}" for name in names)]


def hand_back(client: redis.Redis, worker_id: str, queues: Sequence[str] = QUEUES) -> int:
    """Put a dead worker's unacknowledged messages back on their queues; how many."""
    count, args = _script_args(worker_id, None, queues)
    return int(client.eval(HAND_BACK, count, *args))


async def alive_worker_ids(client: aioredis.Redis, now_ms: float | None = None) -> list[str]:
    """Dramatiq broker ids with a heartbeat within HEARTBEAT_TIMEOUT_MS."""
    since = (time.time() * 1000 if now_ms is None else now_ms) - HEARTBEAT_TIMEOUT_MS
    found = await client.zrangebyscore(HEARTBEATS, since, "+inf")
    return [_text(member) for member in found]


async def take_over_dead(
    client: aioredis.Redis, queues: Sequence[str] = QUEUES, now_ms: float | None = None
) -> dict[str, int]:
    """Hand back what every worker silent for HEARTBEAT_TIMEOUT_MS held; {worker id: messages}
    for those that held any. Senders (commands that only enqueue) hold nothing and are left."""
    cutoff = (time.time() * 1000 if now_ms is None else now_ms) - HEARTBEAT_TIMEOUT_MS
    silent = [_text(m) for m in await client.zrangebyscore(HEARTBEATS, "-inf", cutoff)]
    handed = {}
    for worker_id in silent:
        if worker_id.startswith(SENDER_PREFIX):
            continue
        count, args = _script_args(worker_id, cutoff, queues)
        n = int(await client.eval(HAND_BACK, count, *args))
        if n > 0:
            handed[worker_id] = n
    return handed


async def take_over_forever(client: aioredis.Redis) -> None:
    """Every SWEEP_INTERVAL_S, take over what dead workers held (one log line per worker); after
    a failure, wait twice as long (up to a minute) and come back by itself."""
    pause = SWEEP_INTERVAL_S
    while True:
        await asyncio.sleep(pause)
        try:
            handed = await take_over_dead(client)
        except Exception as exc:  # Redis away: RedisWatch says so; this waits for its return
            pause = min(pause * 2, SWEEP_MAX_PAUSE_S)
            logger.warning("dead_worker_sweep_failed", error=type(exc).__name__, next_in_s=pause)
            continue
        pause = SWEEP_INTERVAL_S
        for worker_id, n in handed.items():
            logger.warning("dead_worker_taken_over", worker_id=worker_id, messages_handed_back=n)


def _text(member: object) -> str:
    return member.decode() if isinstance(member, bytes) else str(member)
