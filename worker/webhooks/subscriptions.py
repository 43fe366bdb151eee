"""Subscription care: one active subscription per voucher and master-data event for each
organization (`events.SUBSCRIBED_EVENTS`), and the subscriptions of removed organizations
deleted at Tripletex.

`care_webhooks` is idempotent (staged with every whole plan, and hourly): a row is written
before the subscription is asked for (status creating), so a worker dying between the two
leaves a row the next run completes (a subscription Tripletex made meanwhile is adopted by its
target URL). A subscription Tripletex disabled (DISABLED_TOO_MANY_ERRORS, ...) or lost is made
again, and what it may have missed checked: every range probed for a voucher event (vouchers
of any date may have changed), the registers refreshed for a master-data event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import structlog

from shared.db.queries import Q
from shared.errors import ConfigError
from shared.freshness import VOUCHER_EVENTS
from shared.outbox import flush, stage
from shared.queue import send
from worker.onboarding import ACCESS_ERRORS
from worker.resources import Resources
from worker.sync.progress import target
from worker.tripletex import changes
from worker.tripletex.errors import Forbidden, InvalidRequest
from worker.tripletex.events import SUBSCRIBED_EVENTS, Subscription
from worker.tripletex.protocol import Auth, fingerprint, oslo_today

T = TypeVar("T")
logger = structlog.get_logger(__name__)

#: the receiver's path under the public URL
HOOK_PATH = "/tripletex/"


@dataclass(frozen=True, slots=True)
class Hook:
    """One of our subscription rows, as care needs it."""

    id: int
    event: str
    hook_key: str
    secret_encrypted: bytes
    subscription_id: int | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> Hook:
        """A `webhook_subscriptions` row -> Hook."""
        key, secret = row["hook_key"], row["secret_encrypted"]
        return cls(row["id"], row["event"], key, secret, row["subscription_id"])


@dataclass(frozen=True, slots=True)
class Care:
    """What one care run did."""

    kept: int = 0
    created: int = 0
    recreated: int = 0
    strays: int = 0


async def care_webhooks(res: Resources, org_id: int) -> Care:
    """Make sure the organization has one active subscription per voucher event (nothing
    without a public URL, while the organization does not sync, or while another run cares for
    it). A token refused the event API (403) leaves the organization to polling, logged."""
    if res.settings.public_url is None:
        return Care()
    async with res.pool.acquire() as lock:
        if not await lock.fetchval(Q["webhook_care_lock"], org_id):
            return Care()
        try:
            found = await target(lock, org_id)
            if found is None:
                return Care()
            return await _care(res, org_id, found, res.settings.public_url)
        except Forbidden as exc:
            logger.warning("webhooks_refused", org_id=org_id, error=str(exc))
            return Care()
        finally:
            await lock.execute(Q["webhook_care_unlock"], org_id)


async def _care(res: Resources, org_id: int, found: tuple[int, int], public_url: str) -> Care:
    """The care run itself (the organization's care lock held)."""
    company_id, username = found
    prefix = public_url + HOOK_PATH

    def call(request: Callable[[Auth], Awaitable[T]]) -> Awaitable[T]:
        return res.access.call(org_id, username, request)

    listed = await call(lambda auth: changes.event_subscriptions(res.access.client, auth))
    hooks = await _hooks(res, org_id, company_id)
    gap: dt.datetime | None = None
    registers_missed = False
    counts = {"kept": 0, "created": 0, "recreated": 0}
    for event in SUBSCRIBED_EVENTS:
        hook, url = hooks[event], prefix + hooks[event].hook_key
        there = _find(listed, url, hook.subscription_id)
        if there is not None and there.active and there.target_url == url:
            await _keep(res, hook, there)
            counts["kept"] += 1
            continue
        lost = there is not None or hook.subscription_id is not None
        if there is not None:  # disabled by Tripletex, or pointing elsewhere: made again
            await _delete(res, call, there)
        if lost:
            since = await _disabled(res, hook, there)
            if event in VOUCHER_EVENTS:
                gap = since if gap is None or since < gap else gap
            else:
                registers_missed = True
        try:
            await _create(res, call, hook, url, recreated=lost)
        except (Forbidden, InvalidRequest) as exc:
            if event in VOUCHER_EVENTS:
                raise
            # a master-data event this company may not subscribe to (a module it lacks): its
            # register is refreshed nightly all the same; tried again at the next care
            logger.info("webhook_event_refused", webhook_event=event, error=str(exc))
            continue
        counts["recreated" if lost else "created"] += 1
    care = Care(**counts, strays=await _remove_strays(res, call, listed, prefix))
    if gap is not None:
        await _resync_since(res, org_id, gap)
    if registers_missed:
        await asyncio.to_thread(send, res.broker, "refresh_registers", org_id)
    if care != Care(kept=len(SUBSCRIBED_EVENTS)):
        logger.info("webhooks_cared", org_id=org_id, **counts, strays=care.strays)
    return care


async def _keep(res: Resources, hook: Hook, there: Subscription) -> None:
    """An active subscription seen: checked now (its id stored, if a run died before it did)."""
    async with res.pool.acquire() as conn:
        if hook.subscription_id == there.id:
            await conn.execute(Q["webhook_subscription_checked"], hook.id)
        else:
            await conn.execute(Q["webhook_subscription_created"], hook.id, there.id, False)


def _find(listed: list[Subscription], url: str, known: int | None) -> Subscription | None:
    """Our subscription among those listed: by its id, else by its target URL (active first)."""
    by_id = [s for s in listed if known is not None and s.id == known]
    by_url = sorted((s for s in listed if s.target_url == url), key=lambda s: not s.active)
    found = by_id or by_url
    return found[0] if found else None


async def _hooks(res: Resources, org_id: int, company_id: int) -> dict[str, Hook]:
    """The organization's rows, one per event; missing ones written first (creating)."""
    async with res.pool.acquire() as conn:
        rows = {r["event"]: r for r in await conn.fetch(Q["webhook_subscriptions_of_org"], org_id)}
        for event in SUBSCRIBED_EVENTS:
            if event not in rows:
                secret = secrets.token_urlsafe(32)
                key = secrets.token_urlsafe(24)
                await conn.execute(
                    Q["webhook_subscription_create"],
                    org_id,
                    company_id,
                    event,
                    key,
                    res.access.cipher.encrypt(secret),
                )
        rows = {r["event"]: r for r in await conn.fetch(Q["webhook_subscriptions_of_org"], org_id)}
    return {event: Hook.of(rows[event]) for event in SUBSCRIBED_EVENTS}


async def _create(
    res: Resources,
    call: Callable[[Callable[[Auth], Awaitable[Subscription]]], Awaitable[Subscription]],
    hook: Hook,
    url: str,
    *,
    recreated: bool,
) -> None:
    """Ask Tripletex for the subscription, then store its id: it delivers from now on."""
    secret = res.access.cipher.decrypt(hook.secret_encrypted)
    made = await call(
        lambda auth: changes.create_subscription(res.access.client, auth, hook.event, url, secret)
    )
    async with res.pool.acquire() as conn:
        await conn.execute(Q["webhook_subscription_created"], hook.id, made.id, recreated)


async def _delete(
    res: Resources,
    call: Callable[[Callable[[Auth], Awaitable[None]]], Awaitable[None]],
    subscription: Subscription,
) -> None:
    """Delete one subscription at Tripletex (one already gone is fine)."""
    client = res.access.client
    await call(lambda auth: changes.delete_subscription(client, auth, subscription.id))


async def _disabled(res: Resources, hook: Hook, there: Subscription | None) -> dt.datetime:
    """Record that Tripletex stopped delivering; since when deliveries may be missing."""
    word = there.status if there is not None else "MISSING"
    async with res.pool.acquire() as conn:
        since: dt.datetime = await conn.fetchval(Q["webhook_subscription_disabled"], hook.id, word)
    logger.warning(
        "webhook_disabled", webhook_event=hook.event, source_status=word, since=str(since)
    )
    return since


async def _remove_strays(
    res: Resources,
    call: Callable[[Callable[[Auth], Awaitable[None]]], Awaitable[None]],
    listed: list[Subscription],
    prefix: str,
) -> int:
    """Delete the company's subscriptions to our receiver that no row of ours knows."""
    ours = [s for s in listed if s.target_url.startswith(prefix)]
    async with res.pool.acquire() as conn:
        known = {
            r["hook_key"]
            for r in await conn.fetch(
                Q["webhook_subscriptions_known_keys"], [s.target_url[len(prefix) :] for s in ours]
            )
        }
    strays = [s for s in ours if s.target_url[len(prefix) :] not in known]
    for stray in strays:
        await _delete(res, call, stray)
    return len(strays)


async def _resync_since(res: Resources, org_id: int, since: dt.datetime) -> None:
    """Check every range of every year (the nightly pass, now): a change missed since `since`
    may lie in any year (vouchers are dated back); one probe a range finds it, and only the
    ranges that changed are imported again."""
    async with res.pool.acquire() as conn, conn.transaction():
        staged = await stage(conn, "poll_org", org_id, True, True)
    await flush(res.pool, res.broker, [staged])
    logger.info("webhook_gap_checked", org_id=org_id, since=since.isoformat())


async def remove_webhooks(res: Resources, row_id: int) -> None:
    """Delete a removed organization's subscription at Tripletex with the token copy it kept,
    then its row; a token that no longer works leaves nothing to delete with (logged)."""
    async with res.pool.acquire() as conn:
        row = await conn.fetchrow(Q["webhook_subscription_removing"], row_id)
    if row is None:
        return
    if row["subscription_id"] is not None and row["token_encrypted"] is not None:
        try:
            await _delete_with_token(res, row)
        except ACCESS_ERRORS as exc:
            logger.warning(
                "webhook_not_removed", row_id=row_id, reason=type(exc).__name__, left="at Tripletex"
            )
    async with res.pool.acquire() as conn:
        await conn.execute(Q["webhook_subscription_delete"], row_id)
    logger.info("webhook_removed", row_id=row_id, subscription_id=row["subscription_id"])


async def _delete_with_token(res: Resources, row: asyncpg.Record) -> None:
    """A session of its own with the kept token, acting in the subscription's company."""
    consumer_token = res.settings.consumer_token
    if consumer_token is None:
        raise ConfigError("LEDGERSYNC_CONSUMER_TOKEN is not set.")
    client = res.access.client
    employee_token = res.access.cipher.decrypt(row["token_encrypted"])
    expires = oslo_today() + dt.timedelta(days=1)
    session = await client.create_session(consumer_token, employee_token, expires)
    own = await client.who_am_i(session.auth(0, fingerprint(employee_token)))
    company = 0 if own.company_id == row["company_id"] else row["company_id"]
    auth = session.auth(company, fingerprint(employee_token))
    await changes.delete_subscription(client, auth, row["subscription_id"])
