"""Authenticated calls for an organization: its session token kept fresh, faults ridden out.

A session token is renewed a day before it expires, and at once on a 401, by one worker at a
time (a row lock on the organization's credentials). A 429 is waited out and never counts as a
failure. Transient faults (5xx, resets, truncated bodies, timeouts) are retried a few times with
backoff; what still fails is raised for the job's own retry policy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import asyncpg
import structlog

from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.errors import ConfigError
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import TransientUpstream, TripletexRateLimited, Unauthorized
from worker.tripletex.protocol import Auth, fingerprint, oslo_today

T = TypeVar("T")
logger = structlog.get_logger(__name__)

#: session tokens are asked for this many days after today in Oslo (Tripletex wants a date
#: later than its today), and renewed a day before they end
SESSION_DAYS = 2
#: session renewals within one call (sessions adopted from other workers may be dead too)
MAX_RENEWALS = 3
#: tries of one call against transient faults before the job's retry policy takes over
TRANSIENT_TRIES = 4
#: the longest one call waits out rate limits in total before giving up for now
RATE_LIMIT_PATIENCE_S = 600.0


@dataclass(frozen=True, slots=True)
class Session:
    """An organization's current session: its token and generation."""

    token: str = field(repr=False)
    generation: int
    limit_key: str
    #: made by this process just now (a 401 on it is final), not adopted or cached
    fresh: bool = False


@dataclass(frozen=True, slots=True)
class AccessHooks:
    """Whom `Access` tells about rate limits and sessions (in a worker, the shared limiter)."""

    #: told (limit key, seconds to wait) after a 429
    on_rate_limited: Callable[[str, float], Awaitable[None]] | None = None
    #: told (organization, limit key) whenever a session is taken from the database or made
    on_session: Callable[[int, str], Awaitable[None]] | None = None


class Access:
    """Sessions per organization and calls made with them."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        client: TripletexClient,
        cipher: TokenCipher,
        settings: Settings,
        hooks: AccessHooks = AccessHooks(),
    ) -> None:
        self.pool = pool
        self.client = client
        self.cipher = cipher
        self.settings = settings
        self.on_rate_limited = hooks.on_rate_limited
        #: told (organization, limit key) whenever a session is taken from the database or made
        self.on_session = hooks.on_session
        self._sessions: dict[int, Session] = {}

    async def call(
        self, org_id: int, company_id: int, request: Callable[[Auth], Awaitable[T]]
    ) -> T:
        """Run `request` with the organization's session acting in `company_id` (0: own)."""
        session = await self.session(org_id)
        renewals = 0
        transient_tries = 0
        waited = 0.0
        while True:
            auth = Auth(session.token, company_id, limit_key=session.limit_key)
            try:
                return await request(auth)
            except Unauthorized:
                # final when a session made for this very call is refused while it still works
                # (who-am-I answers): the request itself is refused. One adopted from another
                # worker, or that died early (waiting on the rate limit), is renewed again.
                renewals += 1
                if renewals > MAX_RENEWALS or (session.fresh and await self._alive(session)):
                    raise
                session = await self.renew(org_id, session.generation)
            except TripletexRateLimited as exc:
                waited += exc.retry_after
                if waited > RATE_LIMIT_PATIENCE_S:
                    raise
                await self._wait_rate_limit(session.limit_key, exc.retry_after)
            except TransientUpstream:
                transient_tries += 1
                if transient_tries >= TRANSIENT_TRIES:
                    raise
                await asyncio.sleep(_backoff(transient_tries))

    async def _alive(self, session: Session) -> bool:
        """Whether the session still works: who-am-I answers it (not known: not alive)."""
        try:
            await self.client.who_am_i(Auth(session.token, 0, limit_key=session.limit_key))
        except (Unauthorized, TransientUpstream, TripletexRateLimited):
            return False
        return True

    async def _wait_rate_limit(self, limit_key: str, retry_after: float) -> None:
        logger.info("rate_limited", limit_key=limit_key, retry_after=round(retry_after, 1))
        if self.on_rate_limited is not None:
            await self.on_rate_limited(limit_key, retry_after)
        await asyncio.sleep(retry_after)

    async def session(self, org_id: int) -> Session:
        """The organization's session, from this process's cache or the database."""
        cached = self._sessions.get(org_id)
        if cached is not None:
            return cached
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(Q["credentials_by_org"], org_id)
        if row is not None and _still_valid(row["session_expires"]) and row["session_token"]:
            session = Session(
                self.cipher.decrypt(row["session_token"]),
                row["session_generation"],
                fingerprint(self.cipher.decrypt(row["employee_token"])),
            )
            self._sessions[org_id] = session
            await self._attribute(org_id, session)
            return session
        return await self.renew(org_id, row["session_generation"] if row else -1)

    async def renew(self, org_id: int, stale_generation: int) -> Session:
        """A new session unless another worker made one since `stale_generation` went stale."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(Q["credentials_lock"], org_id)
            if row is None:
                raise ConfigError(f"Organization {org_id} has no employee token stored.")
            employee_token = self.cipher.decrypt(row["employee_token"])
            limit_key = fingerprint(employee_token)
            if (
                row["session_generation"] != stale_generation
                and row["session_token"]
                and _still_valid(row["session_expires"])
            ):
                session = Session(
                    self.cipher.decrypt(row["session_token"]), row["session_generation"], limit_key
                )
            else:
                session = await self._create(conn, org_id, employee_token, row, limit_key)
        self._sessions[org_id] = replace(session, fresh=False)
        await self._attribute(org_id, session)
        return session

    async def _attribute(self, org_id: int, session: Session) -> None:
        if self.on_session is not None:
            await self.on_session(org_id, session.limit_key)

    async def _create(
        self,
        conn: asyncpg.Connection,
        org_id: int,
        employee_token: str,
        row: asyncpg.Record,
        limit_key: str,
    ) -> Session:
        consumer_token = self.settings.consumer_token
        if consumer_token is None:
            raise ConfigError(
                "LEDGERSYNC_CONSUMER_TOKEN is not set: API organizations cannot be validated."
            )
        expires = oslo_today() + dt.timedelta(days=SESSION_DAYS)
        created = await self.client.create_session(consumer_token, employee_token, expires)
        generation = row["session_generation"] + 1
        await conn.execute(
            Q["credentials_store_session"],
            org_id,
            self.cipher.encrypt(created.token),
            created.expires,
            generation,
        )
        # the fingerprint the UI and `org show` show for this token
        shown = row["token_fingerprint"] or self.cipher.fingerprint(employee_token)
        logger.info("session_created", org_id=org_id, generation=generation, fingerprint=shown)
        return Session(created.token, generation, limit_key, fresh=True)

    def forget(self, org_id: int) -> None:
        """Drop the cached session (the token was replaced)."""
        self._sessions.pop(org_id, None)


def _still_valid(expires: dt.date | None, today: dt.date | None = None) -> bool:
    """A session is trusted until the day before its expiry date, both in Oslo time.

    Tripletex ends a session at midnight (Oslo) at the start of its `expirationDate`, or at its
    end: which is not documented, so the session is renewed a whole day before either.
    """
    today = today or oslo_today()
    return expires is not None and expires - dt.timedelta(days=1) > today


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 0.5, 1, 2, ... seconds."""
    return random.uniform(0, 0.5 * 2 ** (attempt - 1))
