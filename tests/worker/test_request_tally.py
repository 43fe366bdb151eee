"""The requests the workers send, counted per minute and per token for the fleet view: by the
limiter that already counts them, read back as `shared.traffic` reads them for the UI."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis
import redis.asyncio as aioredis

from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe
from shared import traffic
from worker.tripletex.client import TripletexClient
from worker.tripletex.protocol import fingerprint
from worker.tripletex.ratelimit import RedisRateLimiter

SCENARIO = build_scenario("small", seed=1)
TRUTH = describe(SCENARIO)


@pytest.fixture
async def limiter(redis_url: str) -> AsyncIterator[RedisRateLimiter]:
    client = aioredis.Redis.from_url(redis_url)
    yield RedisRateLimiter(client)
    await client.aclose()


def read(redis_url: str) -> traffic.Traffic:
    """What the UI reads."""
    with redis.Redis.from_url(redis_url) as client:
        return traffic.read(client)


def total(found: traffic.Traffic, key: str) -> int:
    """Requests counted for `key` in the last hour and this minute."""
    return sum(minute.get(key, 0) for minute in (*found.minutes, found.current))


async def test_a_real_client_call_against_the_sandbox_is_counted(
    limiter: RedisRateLimiter, redis_url: str
) -> None:
    token: str = TRUTH["tokens"]["good"]
    key = fingerprint(token)
    async with SandboxServer(SCENARIO) as server, aiohttp.ClientSession() as http:
        client = TripletexClient(
            http, server.base_url, before_request=limiter.acquire, on_rate_limit=limiter.observe
        )
        expires = dt.date.today() + dt.timedelta(days=2)
        session = await client.create_session(TRUTH["consumer_token"], token, expires)
        assert total(read(redis_url), key) == 1
        await client.who_am_i(session.auth(limit_key=key))
    found = read(redis_url)
    assert total(found, key) == 2
    # the limit the sandbox's headers told is beside the count
    window = found.windows[key]
    assert window.limit is not None
    assert window.limit > 0
    assert window.sent == 2


async def test_tallies_hold_fingerprints_expire_and_name_the_organization(
    limiter: RedisRateLimiter, redis_url: str
) -> None:
    token = "employee-token-7f3a9c-very-secret"
    await limiter.acquire(token)
    await limiter.attribute(7, token)
    with redis.Redis.from_url(redis_url) as client:
        names = [n.decode() for n in client.scan_iter(match=f"{traffic.TALLY_PREFIX}*")]
        stored = b"".join(b"".join(client.hgetall(n)) for n in names)
        ttls = [client.ttl(n) for n in names if n != traffic.ORGS_KEY]
    assert token not in " ".join(names)
    assert token.encode() not in stored
    assert ttls
    assert all(0 < ttl <= traffic.TALLY_KEEP_S for ttl in ttls)
    found = read(redis_url)
    assert total(found, fingerprint(token)) == 1
    assert found.orgs == {7: fingerprint(token)}
