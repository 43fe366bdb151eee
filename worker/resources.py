"""What every actor of one worker process shares: the pool, the HTTP session, the API client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import redis.asyncio as aioredis
import structlog
from dramatiq.brokers.redis import RedisBroker

from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.errors import ConfigError
from shared.orgs import check_key
from shared.outbox import relay
from shared.queue import sender
from worker.shutdown import InFlight
from worker.takeover import alive_worker_ids, take_over_forever
from worker.tripletex.access import Access, AccessHooks
from worker.tripletex.client import TripletexClient
from worker.tripletex.ratelimit import RedisRateLimiter

#: simultaneous connections to Tripletex per worker process
HTTP_CONNECTIONS = 32
#: seconds the pool may wait for connections still in use when the worker stops
CLOSE_TIMEOUT_S = 10.0
#: how often each worker process relays the outbox, and its longest pause after failures
RELAY_INTERVAL_S = 1.0
RELAY_MAX_PAUSE_S = 60.0

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How one worker process runs (from `ledgersync worker`'s flags, passed in the environment)."""

    #: threads (actors at once) per process
    threads: int = 8
    #: seconds a worker holds a chunk before another may take it over
    lease_s: float = 600.0
    #: seconds actors in flight at a stop may take to finish before they are handed back
    grace_s: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> WorkerOptions:
        """The options `ledgersync worker` put in the environment (defaults for the missing)."""
        default = cls()
        return cls(
            threads=int(environ.get("LEDGERSYNC_WORKER_THREADS", default.threads)),
            lease_s=float(environ.get("LEDGERSYNC_WORKER_LEASE_S", default.lease_s)),
            grace_s=float(environ.get("LEDGERSYNC_WORKER_GRACE_S", default.grace_s)),
        )

    def to_env(self) -> dict[str, str]:
        """The environment that `from_env` reads back."""
        return {
            "LEDGERSYNC_WORKER_THREADS": str(self.threads),
            "LEDGERSYNC_WORKER_LEASE_S": str(self.lease_s),
            "LEDGERSYNC_WORKER_GRACE_S": str(self.grace_s),
        }


@dataclass(slots=True)
class Resources:
    """Opened once per worker process at boot, closed at shutdown."""

    settings: Settings
    pool: asyncpg.Pool
    http: aiohttp.ClientSession
    redis: aioredis.Redis
    access: Access
    broker: RedisBroker
    options: WorkerOptions = field(default_factory=WorkerOptions)
    in_flight: InFlight = field(default_factory=InFlight)
    #: sends follow-up messages whose stager died between commit and send (shared.outbox)
    relay_task: asyncio.Task[None] | None = None
    #: hands back what dead worker processes held, once their heartbeat timed out (worker.takeover)
    takeover_task: asyncio.Task[None] | None = None
    #: this process's Dramatiq broker id: its heartbeat in Redis says it is alive
    worker_id: str | None = None

    async def alive_workers(self) -> list[str] | None:
        """The worker processes heard from in Redis lately (None when Redis cannot say)."""
        try:
            return await alive_worker_ids(self.redis)
        except Exception:  # Redis away: the lease alone decides
            return None

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        pool_size: int,
        options: WorkerOptions | None = None,
        worker_id: str | None = None,
    ) -> Resources:
        """Connect to Postgres, Redis and Tripletex (lazily).

        Raises ConfigError when a setting lacks, WrongSecretKey when the key is not the one the
        stored tokens were encrypted with (before any message is taken).
        """
        settings.require("database_url", "redis_url", "secret_key")
        assert settings.database_url is not None
        assert settings.redis_url is not None
        assert settings.secret_key is not None
        cipher = TokenCipher(settings.secret_key)
        pool = await create_pool(settings.database_url, min_size=1, max_size=pool_size)
        try:
            async with pool.acquire() as conn:
                await check_key(conn, cipher)
        except BaseException:
            await pool.close()
            raise
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=HTTP_CONNECTIONS))
        redis = aioredis.Redis.from_url(settings.redis_url)
        limiter = RedisRateLimiter(redis)  # one budget per employee token, for every worker
        client = TripletexClient(
            http,
            settings.tripletex_url,
            before_request=limiter.acquire,
            on_rate_limit=limiter.observe,
        )
        hooks = AccessHooks(on_rate_limited=limiter.blocked, on_session=limiter.attribute)
        access = Access(pool=pool, client=client, cipher=cipher, settings=settings, hooks=hooks)
        broker = sender(settings.redis_url)
        opened = cls(settings, pool, http, redis, access, broker, options or WorkerOptions())
        opened.relay_task = asyncio.create_task(relay_forever(pool, broker))
        opened.takeover_task = asyncio.create_task(take_over_forever(redis))
        opened.worker_id = worker_id
        return opened

    async def close(self) -> None:
        """Close everything opened (connections still in use after a while are dropped)."""
        for task in (self.relay_task, self.takeover_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.http.close()
        with contextlib.suppress(TimeoutError):  # then asyncpg terminated those still in use
            await asyncio.wait_for(self.pool.close(), CLOSE_TIMEOUT_S)
        await self.redis.aclose()
        self.broker.close()


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


async def relay_forever(pool: asyncpg.Pool, broker: RedisBroker) -> None:
    """Relay the outbox about once a second; after a failure, wait twice as long (up to a
    minute), logging once per step, and come back by itself."""
    pause = RELAY_INTERVAL_S
    while True:
        await asyncio.sleep(pause)
        try:
            sent = await relay(pool, broker)
        except Exception as exc:  # Postgres or Redis away: both come back by themselves
            pause = min(pause * 2, RELAY_MAX_PAUSE_S)
            logger.warning("outbox_relay_failed", error=type(exc).__name__, next_in_s=pause)
            continue
        pause = RELAY_INTERVAL_S
        if sent:
            logger.info("outbox_relayed", messages=sent)
