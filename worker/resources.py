"""What every actor of one worker process shares: the pool, the HTTP session, the API client."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import asyncpg
import redis.asyncio as aioredis
from dramatiq.brokers.redis import RedisBroker

from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.errors import ConfigError
from shared.queue import sender
from worker.access import Access
from worker.ratelimit import RedisRateLimiter
from worker.tripletex import TripletexClient

#: simultaneous connections to Tripletex per worker process
HTTP_CONNECTIONS = 32


@dataclass(slots=True)
class Resources:
    """Opened once per worker process at boot, closed at shutdown."""

    settings: Settings
    pool: asyncpg.Pool
    http: aiohttp.ClientSession
    redis: aioredis.Redis
    access: Access
    broker: RedisBroker

    @classmethod
    async def open(cls, settings: Settings, *, pool_size: int) -> Resources:
        """Connect to Postgres, Redis and Tripletex (lazily); ConfigError if a setting lacks."""
        settings.require("database_url", "redis_url", "secret_key")
        assert settings.database_url is not None
        assert settings.redis_url is not None
        assert settings.secret_key is not None
        cipher = TokenCipher(settings.secret_key)
        pool = await create_pool(settings.database_url, min_size=1, max_size=pool_size)
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=HTTP_CONNECTIONS))
        redis = aioredis.Redis.from_url(settings.redis_url)
        limiter = RedisRateLimiter(redis)  # one budget per employee token, for every worker
        client = TripletexClient(
            http, settings.tripletex_url,
            before_request=limiter.acquire, on_rate_limit=limiter.observe,
        )  # fmt: skip
        access = Access(
            pool=pool, client=client, cipher=cipher, settings=settings,
            on_rate_limited=limiter.blocked,
        )  # fmt: skip
        return cls(settings, pool, http, redis, access, sender(settings.redis_url))

    async def close(self) -> None:
        """Close everything opened."""
        await self.http.close()
        await self.pool.close()
        await self.redis.aclose()


_current: Resources | None = None


def install(resources: Resources | None) -> None:
    """Make `resources` the process's current ones (None at shutdown)."""
    global _current  # noqa: PLW0603 - one set per worker process, by its boot hook
    _current = resources


def current() -> Resources:
    """The process's resources; ConfigError outside a booted worker."""
    if _current is None:
        raise ConfigError("Worker resources are not open: run actors inside `ledgersync worker`.")
    return _current
