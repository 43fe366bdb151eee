"""The shared rate limiter against a real Redis: one budget per token for every process."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from sandbox.faults import Faults
from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe
from shared.errors import RateLimited
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import RateLimitState
from worker.tripletex.protocol import Auth, fingerprint
from worker.tripletex.ratelimit import KEY_PREFIX, Pacing, RedisRateLimiter

TOKEN = "employee-token-7f3a9c-very-secret"
KEY = fingerprint(TOKEN)
OTHER_TOKEN = "employee-token-22b4e1-also-secret"
#: how long an acquire may take and still count as "immediate"
PROMPT = 0.15


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[aioredis.Redis]]:
    """Two Redis clients of the (emptied) session Redis: one per "worker process"."""
    opened = [aioredis.Redis.from_url(redis_url) for _ in range(2)]
    yield opened
    for client in opened:
        await client.aclose()


def headers(limit: int, remaining: int, reset_s: float | None) -> RateLimitState:
    """The rate-limit headers of an answer that arrives now."""
    return RateLimitState(limit, remaining, reset_s, time.time())


async def take(limiter: RedisRateLimiter, count: int, key: str = KEY) -> None:
    """Acquire `count` slots, each of which must be granted at once."""
    for _ in range(count):
        await asyncio.wait_for(limiter.acquire(key), PROMPT)


async def stalls(limiter: RedisRateLimiter, key: str = KEY) -> bool:
    """Whether the next acquire has to wait."""
    try:
        await asyncio.wait_for(limiter.acquire(key), PROMPT)
    except TimeoutError:
        return True
    return False


async def timed(step: Awaitable[None]) -> float:
    """Seconds `step` took, by the monotonic clock."""
    started = time.monotonic()
    await step
    return time.monotonic() - started


async def stop(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and check that every one ends (redis-py 8 can swallow a cancellation)."""
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=5)
    assert not pending


async def test_the_budget_less_the_reserve_passes_then_the_window_is_waited_out(
    clients: list[aioredis.Redis],
) -> None:
    limiter = RedisRateLimiter(clients[0], Pacing(reserve=2))
    await limiter.observe(KEY, headers(10, 10, 1.0))
    started = time.monotonic()
    await take(limiter, 8)
    took = time.monotonic() - started
    waited = await timed(limiter.acquire(KEY))
    assert took < 0.5
    assert 0.85 <= took + waited <= 1.6


async def test_two_processes_share_one_budget(clients: list[aioredis.Redis]) -> None:
    first, second = (RedisRateLimiter(client, Pacing(reserve=1)) for client in clients)
    await first.observe(KEY, headers(6, 6, 5.0))
    await take(first, 3)
    await take(second, 2)
    assert await stalls(second)
    assert await stalls(first)
    assert not await stalls(first, "a" * 12)


async def test_stale_high_headers_never_raise_the_budget(clients: list[aioredis.Redis]) -> None:
    limiter = RedisRateLimiter(clients[0], Pacing(reserve=2))
    await limiter.observe(KEY, headers(10, 10, 5.0))
    await take(limiter, 3)
    await limiter.observe(KEY, headers(10, 9, 4.9))
    await take(limiter, 5)
    assert await stalls(limiter)


async def test_a_new_window_replaces_the_old_one(clients: list[aioredis.Redis]) -> None:
    limiter = RedisRateLimiter(clients[0], Pacing(reserve=2))
    await limiter.observe(KEY, headers(10, 10, 3.0))
    await limiter.observe(KEY, headers(10, 9, 0.4))
    await take(limiter, 7)
    assert await stalls(limiter)
    # the server began a new window before ours ended: its end replaces ours, and its count
    # plus what was just sent (possibly still in flight) replaces our count
    await limiter.observe(KEY, headers(10, 9, 2.9))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(limiter.acquire(KEY), 0.6)
    state = await clients[0].hgetall(limiter.redis_key(KEY))
    assert int(state[b"end"]) - int(state[b"start"]) > 2500


async def test_after_a_window_ends_late_answers_are_ignored(clients: list[aioredis.Redis]) -> None:
    limiter = RedisRateLimiter(clients[0], Pacing(reserve=2))
    await limiter.observe(KEY, headers(10, 10, 0.3))
    await take(limiter, 8)
    assert await timed(limiter.acquire(KEY)) > 0.05
    await limiter.observe(KEY, headers(10, 0, 0.05))
    await limiter.observe(KEY, headers(10, 8, 0.3))
    await take(limiter, 6)
    assert await stalls(limiter)


async def test_before_any_header_a_few_requests_probe(clients: list[aioredis.Redis]) -> None:
    limiter = RedisRateLimiter(clients[0], Pacing(probe=3, probe_window=0.4))
    await take(limiter, 3)
    assert 0.3 <= await timed(limiter.acquire(KEY)) <= 0.8


async def test_a_429_holds_every_process(clients: list[aioredis.Redis]) -> None:
    first, second = (RedisRateLimiter(client) for client in clients)
    await first.observe(KEY, headers(100, 100, 10.0))
    await first.blocked(KEY, 0.5)
    waits = await asyncio.gather(timed(first.acquire(KEY)), timed(second.acquire(KEY)))
    assert all(0.45 <= wait <= 1.0 for wait in waits)


async def test_keys_expire_after_their_window(clients: list[aioredis.Redis]) -> None:
    redis = clients[0]
    limiter = RedisRateLimiter(redis, Pacing(linger=0.3))
    name = limiter.redis_key(KEY)
    await limiter.observe(KEY, headers(10, 10, 0.2))
    assert 0 < await redis.pttl(name) <= 500
    await limiter.blocked(KEY, 5.0)
    assert 5000 < await redis.pttl(name) <= 5300
    await limiter.acquire("b" * 12)
    assert 0 < await redis.pttl(limiter.redis_key("b" * 12)) <= 1300
    short = RedisRateLimiter(redis, Pacing(linger=0.1))
    await short.observe("c" * 12, headers(10, 10, 0.1))
    left = await redis.pttl(short.redis_key("c" * 12))
    assert 0 < left <= 200
    await asyncio.sleep(left / 1000 + 0.05)  # the clock, not another task, is awaited here
    assert not await redis.exists(short.redis_key("c" * 12))


async def test_redis_holds_no_token_text(clients: list[aioredis.Redis]) -> None:
    redis = clients[0]
    limiter = RedisRateLimiter(redis)
    for key in (KEY, OTHER_TOKEN):
        await limiter.acquire(key)
        await limiter.observe(key, headers(10, 9, 5.0))
        await limiter.blocked(key, 0.01)
    names = sorted([name async for name in redis.scan_iter(match=f"{KEY_PREFIX}*")])
    assert names == sorted(
        f"{KEY_PREFIX}{fingerprint(token)}".encode() for token in (TOKEN, OTHER_TOKEN)
    )
    for name in names:
        stored = b" ".join(b"%s=%s" % pair for pair in (await redis.hgetall(name)).items())
        for token in (TOKEN, OTHER_TOKEN):
            assert token.encode() not in name + stored
            assert token[:20].encode() not in name + stored


@dataclass
class FakeServer:
    """Tripletex's limit as the sandbox keeps it: fixed windows that start at a first request."""

    limit: int
    window: float
    start: float = -1e9
    used: int = 0
    served: int = 0
    rejected: int = 0

    def hit(self) -> RateLimitState:
        """Count one request; a 429 answer carries no Reset."""
        now = time.monotonic()
        if now - self.start >= self.window:
            self.start, self.used = now, 0
        self.used += 1
        if self.used > self.limit:
            self.rejected += 1
            return RateLimitState(self.limit, 0, None, time.time())
        self.served += 1
        reset = self.start + self.window - now
        return RateLimitState(self.limit, self.limit - self.used, reset, time.time())


async def test_many_requests_in_flight_never_see_a_429(clients: list[aioredis.Redis]) -> None:
    server = FakeServer(limit=20, window=1.0)
    limiters = [RedisRateLimiter(client) for client in clients]
    duration = 3.0
    deadline = time.monotonic() + duration

    async def worker(limiter: RedisRateLimiter) -> None:
        while True:
            await limiter.acquire(KEY)
            await asyncio.sleep(random.uniform(0.002, 0.02))
            state = server.hit()
            await asyncio.sleep(random.uniform(0.002, 0.02))
            await limiter.observe(KEY, dataclasses.replace(state, observed_at=time.time()))
            if state.reset_s is None:
                await limiter.blocked(KEY, 1.0)

    tasks = [asyncio.create_task(worker(limiters[i % 2])) for i in range(16)]
    await asyncio.sleep(max(deadline - time.monotonic(), 0))
    await stop(tasks)
    utilisation = server.served / (server.limit * duration / server.window)
    print(f"served={server.served} rejected={server.rejected} utilisation={utilisation:.2f}")
    assert server.rejected == 0
    assert utilisation >= 0.8


SCENARIO = build_scenario("small", seed=1)
TRUTH = describe(SCENARIO)


async def hammer(client: TripletexClient, limiter: RedisRateLimiter, auth: Auth) -> Counter[str]:
    """Call whoAmI until cancelled, waiting out any 429 the way `Access` does; count outcomes."""
    outcomes: Counter[str] = Counter()
    try:
        while True:
            try:
                await client.who_am_i(auth)
                outcomes["ok"] += 1
            except RateLimited as exc:
                outcomes["429"] += 1
                await limiter.blocked(auth.key, exc.retry_after)
    except asyncio.CancelledError:
        return outcomes


async def test_the_client_hooks_pace_two_clients_against_the_sandbox(
    clients: list[aioredis.Redis],
) -> None:
    limit, window, duration = 15, 3.0, 3.6
    token: str = TRUTH["tokens"]["good"]
    faults = Faults(rate_limit=limit, rate_window=window)
    async with SandboxServer(SCENARIO, faults) as server, aiohttp.ClientSession() as http:
        limiters = [RedisRateLimiter(redis) for redis in clients]
        apis = [
            TripletexClient(
                http, server.base_url, before_request=lim.acquire, on_rate_limit=lim.observe
            )
            for lim in limiters
        ]
        expires = dt.date.today() + dt.timedelta(days=2)
        session = await apis[0].create_session(TRUTH["consumer_token"], token, expires)
        auth = Auth(session.token, 0, limit_key=fingerprint(token))
        tasks = [asyncio.create_task(hammer(apis[i % 2], limiters[i % 2], auth)) for i in range(8)]
        await asyncio.sleep(duration)
        await stop(tasks)
    outcomes = sum((task.result() for task in tasks), Counter[str]())
    print(f"sandbox outcomes={dict(outcomes)}")
    assert outcomes["429"] == 0
    assert outcomes["ok"] + 1 >= 0.8 * 2 * limit  # two windows; `:create` took one request
