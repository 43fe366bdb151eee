"""One rate limiter per employee token, shared by every worker process through Redis.

Rate limits are pacing, not failure. Each key (a token fingerprint) has one Redis hash: the limit,
the requests sent in the current window, the window's start and end, its estimated length (the
largest Reset seen), a block set after a 429, and the requests sent lately (possibly in flight).
Lua scripts change it atomically and read the time from Redis `TIME`, so processes on different
machines share one clock; the only local reading is a header's age (`time.time()` minus its
`observed_at`, both taken by the observing process).

- `acquire` takes a slot while `limit - reserve` are not used up, else waits for the window's end.
  A window that ended is replaced at once by a provisional one holding the whole limit, counted
  locally until its first header arrives. Before any header, `probe` requests per `probe_window`
  seconds go through.
- `observe` merges an answer's headers. Within a window it keeps the larger count (requests in
  flight make `remaining` stale-high) and the earlier end (Reset is rounded up, so every end is
  an upper bound). An end beyond ours by more than half a window (and `SETTLE_MS`) is a new
  window: its count plus the requests sent lately replace ours. An answer whose window is over,
  or older than a provisional window, is ignored.
- `blocked` holds every process until a 429's `retry_after` has passed; the 429's own headers
  (Remaining 0, no Reset) already used up the current window.

Every slot `acquire` grants is also counted in the minute's tally of requests per key, and
`attribute` notes which key an organization spends (`shared.traffic` names both; the fleet view
reads them).

Plug it into the client with `TripletexClient(..., before_request=limiter.acquire,
on_rate_limit=limiter.observe)` and into `Access(..., hooks=AccessHooks(limiter.blocked,
limiter.attribute))`.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from shared.traffic import LIMITER_PREFIX, ORGS_KEY, TALLY_KEEP_S, TALLY_PREFIX
from worker.tripletex.errors import RateLimitState
from worker.tripletex.protocol import fingerprint

#: the Redis key prefix; a key adds only a token fingerprint
KEY_PREFIX = LIMITER_PREFIX
#: requests left unsent in every window, absorbing clock edges and requests in flight
DEFAULT_RESERVE = 2
#: requests let through per probe window before any rate-limit header is seen for a key
DEFAULT_PROBE = 4
#: seconds of a probe window
DEFAULT_PROBE_WINDOW = 1.0
#: seconds a key is kept after its window (or block) ends
DEFAULT_LINGER = 60.0
#: how far apart two answers' window ends may be and still be one window: Reset is whole seconds
#: (rounded up) and answers travel, so only a jump beyond this (or half a window) is a new window
SETTLE_MS = 1500
#: the longest single sleep of a waiting `acquire` before it asks Redis again
DEFAULT_MAX_STEP = 0.25
#: what a key looks like when it is already a fingerprint (`worker.tripletex.protocol.fingerprint`)
_FINGERPRINT = re.compile(r"[0-9a-f]{12}")

#: shared by the three scripts: Redis time in ms, the key's state, and `save(linger_ms)`;
#: `cur` and `prev` count the requests sent in this and the previous settle period (in flight)
_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end
local key, settle = KEYS[1], SETTLE_MS
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', key, 'limit', 'sent', 'start', 'end', 'window', 'prov', 'blocked',
                     'probes', 'bucket', 'cur', 'prev')
local limit = tonumber(s[1])
local sent = tonumber(s[2]) or 0
local start = tonumber(s[3]) or 0
local wend = tonumber(s[4])
local window = tonumber(s[5]) or 0
local prov = tonumber(s[6]) or 1
local blocked = tonumber(s[7]) or 0
local probes = tonumber(s[8]) or 0
local bucket = tonumber(s[9]) or 0
local cur = tonumber(s[10]) or 0
local prev = tonumber(s[11]) or 0
local b = math.floor(now / settle)
if b ~= bucket then
  if b == bucket + 1 then prev = cur else prev = 0 end
  bucket, cur = b, 0
end
local function save(linger)
  redis.call('HSET', key, 'sent', sent, 'start', start, 'end', wend or 0, 'window', window,
             'prov', prov, 'blocked', blocked, 'probes', probes, 'bucket', bucket, 'cur', cur,
             'prev', prev)
  if limit then redis.call('HSET', key, 'limit', limit) end
  redis.call('PEXPIRE', key, math.max(wend or now, blocked, now) - now + linger)
end
""".replace("SETTLE_MS", str(SETTLE_MS))

#: ARGV: reserve, probe, probe_ms, linger_ms, the key's fingerprint. Returns 0 if a slot was
#: taken, else ms to wait. A slot taken is a request sent: the minute's tally counts it
#: (`shared.traffic`), in the same call, so counting costs no round trip.
_ACQUIRE = (
    (
        _PRELUDE
        + """
local reserve, probe = tonumber(ARGV[1]), tonumber(ARGV[2])
local probe_ms, linger = tonumber(ARGV[3]), tonumber(ARGV[4])
local function tally()
  local minute = 'TALLY_PREFIX' .. math.floor(now / 60000)
  redis.call('HINCRBY', minute, ARGV[5], 1)
  redis.call('EXPIRE', minute, TALLY_KEEP_S)
end
if blocked > now then return blocked - now end
local known = limit ~= nil and window > 0
if wend == nil or now >= wend then
  sent, start, prov = 0, now, 1
  if known then wend = now + window else wend = now + probe_ms end
end
local budget = probe
if known then budget = math.max(limit - reserve, 1) end
if sent >= budget then
  save(linger)
  return math.max(wend - now, 1)
end
sent, cur = sent + 1, cur + 1
if not known then probes = probes + 1 end
save(linger)
tally()
return 0
"""
    )
    .replace("TALLY_PREFIX", TALLY_PREFIX)
    .replace("TALLY_KEEP_S", str(TALLY_KEEP_S))
)

#: ARGV: limit, remaining, reset left in ms (-1: no Reset header), reset in ms, linger_ms
_OBSERVE = (
    _PRELUDE
    + """
local remaining, left = tonumber(ARGV[2]), tonumber(ARGV[3])
local reset, linger = tonumber(ARGV[4]), tonumber(ARGV[5])
limit = tonumber(ARGV[1])
local used = limit - remaining
local live = wend ~= nil and now < wend
if left < 0 then
  if live then sent = math.max(sent, used) end
  save(linger)
  return 0
end
if left == 0 then
  save(linger)
  return 0
end
local hend = now + left
window = math.max(window, reset)
local fresh = wend == nil
if not fresh and (prov == 1 or not live) then
  local since = wend
  if live then since = start end
  fresh = hend >= since + window / 2
  if not fresh then
    save(linger)
    return 0
  end
end
if fresh then
  local mine = probes
  if live then mine = math.max(mine, sent) end
  sent, start, wend, prov, probes = math.max(mine, used), now, hend, 0, 0
elseif hend > wend + math.max(window / 2, settle) then
  sent, start, wend = math.min(used + cur + prev, limit), now, hend
else
  sent, wend = math.max(sent, used), math.min(wend, hend)
end
save(linger)
return 0
"""
)

#: ARGV: retry_after_ms, linger_ms
_BLOCK = (
    _PRELUDE
    + """
local retry, linger = tonumber(ARGV[1]), tonumber(ARGV[2])
blocked = math.max(blocked, now + retry)
save(linger)
return 0
"""
)


@dataclass(frozen=True, slots=True)
class Pacing:
    """How a limiter paces each key: what it holds back, how it probes, how long it remembers."""

    #: requests left unsent in every window
    reserve: int = DEFAULT_RESERVE
    #: requests let through per probe window before any rate-limit header is seen for a key
    probe: int = DEFAULT_PROBE
    #: seconds of a probe window
    probe_window: float = DEFAULT_PROBE_WINDOW
    #: seconds a key is kept after its window (or block) ends
    linger: float = DEFAULT_LINGER
    #: the longest single sleep of a waiting `acquire`, in seconds
    max_step: float = DEFAULT_MAX_STEP


class RedisRateLimiter:
    """Paces requests per key (a token fingerprint) across every process that shares `redis`."""

    def __init__(
        self, redis: aioredis.Redis, pacing: Pacing = Pacing(), *, key_prefix: str = KEY_PREFIX
    ) -> None:
        reserve, probe, probe_window = pacing.reserve, pacing.probe, pacing.probe_window
        linger, max_step = pacing.linger, pacing.max_step
        if reserve < 0 or probe < 1 or probe_window <= 0 or linger <= 0 or max_step <= 0:
            raise ValueError("reserve must be >= 0, probe >= 1, and the durations positive")
        self._reserve = reserve
        self._probe = probe
        self._probe_ms = _ms(probe_window)
        self._linger_ms = _ms(linger)
        self._max_step = max_step
        self._prefix = key_prefix
        self._redis = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._observe = redis.register_script(_OBSERVE)
        self._block = redis.register_script(_BLOCK)

    def redis_key(self, key: str) -> str:
        """The Redis key for `key`; anything but a fingerprint is fingerprinted first."""
        return self._prefix + _fingerprinted(key)

    async def acquire(self, key: str) -> None:
        """Wait until a request for `key` may be sent, and count it (the `before_request` hook)."""
        args = (self._reserve, self._probe, self._probe_ms, self._linger_ms, _fingerprinted(key))
        while True:
            wait_ms = await self._run(self._acquire, key, args)
            if wait_ms <= 0:
                return
            await asyncio.sleep(min(wait_ms / 1000, self._max_step))

    async def observe(self, key: str, state: RateLimitState) -> None:
        """Update the shared window from one answer's headers (the `on_rate_limit` hook)."""
        if state.reset_s is None:
            left, reset = -1, 0
        else:
            age = max(time.time() - state.observed_at, 0.0)
            left, reset = _ms(max(state.reset_s - age, 0.0)), _ms(max(state.reset_s, 0.0))
        args = (state.limit, state.remaining, left, reset, self._linger_ms)
        await self._run(self._observe, key, args)

    async def blocked(self, key: str, retry_after: float) -> None:
        """After a 429: hold every process's requests for `key` for `retry_after` seconds."""
        args = (_ms(max(retry_after, 0.0)), self._linger_ms)
        await self._run(self._block, key, args)

    async def attribute(self, org_id: int, key: str) -> None:
        """Note that `org_id`'s requests count against `key` (Access's `on_session` hook), so the
        fleet view can name each token's organizations."""
        await self._redis.hset(ORGS_KEY, str(org_id), _fingerprinted(key))

    async def _run(self, script: AsyncScript, key: str, args: tuple[int | str, ...]) -> int:
        """Run a script on `key`'s state; re-raise a cancellation that redis-py swallowed."""
        result = int(await script(keys=[self.redis_key(key)], args=args))
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        return result


def _fingerprinted(key: str) -> str:
    """A fingerprint as it is; anything else (a token) fingerprinted."""
    return key if _FINGERPRINT.fullmatch(key) else fingerprint(key)


def _ms(seconds: float) -> int:
    """Whole milliseconds, rounded up so that waits never come out short."""
    return math.ceil(round(seconds * 1000, 3))
