"""The webhook receiver (`ledgersync web`): Tripletex's deliveries checked, stored, queued.

`POST /tripletex/{hook_key}`: the body is read up to 64 KiB (more: 413); the key names the
subscription, whose secret must come back in our auth header (compared in constant time, against
a dummy too where the key is unknown); an unknown key, a wrong secret or another subscription's
id is 401, a body that is not a delivery 400; nothing of these is stored. A good delivery is
stored with the organization's apply queue row in one transaction and answered 200 once
committed; the first delivery of a burst sends `apply_deliveries` after a short delay, so the
burst is one job. Should Redis be away, the delivery is stored all the same and the scheduler's
sweep sends the job. No secret, nor the header, is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
from dataclasses import dataclass

import asyncpg
import structlog
from aiohttp import web
from dramatiq.brokers.redis import RedisBroker

from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.queue import send
from worker.tripletex.events import AUTH_HEADER, Delivery, parse_delivery

logger = structlog.get_logger(__name__)

#: the largest delivery body accepted (a voucher event's body is far smaller)
MAX_BODY = 64 * 1024
#: milliseconds `apply_deliveries` waits after the first delivery of a burst
DEBOUNCE_MS = 1000
#: compared with the header when the key is unknown, so the answer takes as long
_DUMMY_SECRET = secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Receiver:
    """What the receiver needs: the database, the key the secrets are encrypted with, Redis."""

    pool: asyncpg.Pool
    cipher: TokenCipher
    broker: RedisBroker
    debounce_ms: int = DEBOUNCE_MS


RECEIVER = web.AppKey("receiver", Receiver)
#: the body of each refusal
ANSWERS = {400: "not a delivery", 401: "unauthorized", 413: "too large"}


def build_app(receiver: Receiver) -> web.Application:
    """The receiver's aiohttp application."""
    app = web.Application(client_max_size=MAX_BODY)
    app[RECEIVER] = receiver
    app.router.add_post("/tripletex/{hook_key}", deliver)
    app.router.add_get("/health", health)
    return app


async def health(request: web.Request) -> web.Response:
    """The receiver answers."""
    return web.Response(text="ok")


async def deliver(request: web.Request) -> web.Response:
    """One delivery: checked, stored with its apply queue row, answered after the commit."""
    receiver = request.app[RECEIVER]
    if (request.content_length or 0) > MAX_BODY:
        return _refuse(413, "too_large")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _refuse(413, "too_large")
    async with receiver.pool.acquire() as conn:
        row = await conn.fetchrow(Q["webhook_subscription_by_key"], request.match_info["hook_key"])
    if not _secret_matches(receiver.cipher, row, request.headers.get(AUTH_HEADER, "")):
        return _refuse(401, "unknown_key" if row is None else "wrong_secret")
    assert row is not None
    try:
        delivery = parse_delivery(body)
    except ValueError:
        return _refuse(400, "not_a_delivery", row["org_id"])
    known = row["subscription_id"]
    if known is not None and delivery.subscription_id != known:
        return _refuse(401, "other_subscription", row["org_id"])
    queued = await _store(receiver.pool, row, delivery)
    sent = "queued" if queued and await _send(receiver, row["org_id"]) else "stored"
    logger.info(
        "webhook_delivery",
        org_id=row["org_id"],
        webhook_event=delivery.event,
        object_id=delivery.object_id,
        outcome=sent,
    )
    return web.Response(text="ok")


def _secret_matches(cipher: TokenCipher, row: asyncpg.Record | None, given: str) -> bool:
    """Whether the header carries the subscription's secret; constant time, key known or not."""
    expected = _DUMMY_SECRET if row is None else cipher.decrypt(row["secret_encrypted"])
    same = hmac.compare_digest(given.encode(), expected.encode())
    return same and row is not None


async def _store(pool: asyncpg.Pool, row: asyncpg.Record, delivery: Delivery) -> bool:
    """Store the delivery and ask for it to be applied; whether an apply message must be sent."""
    org_id = row["org_id"]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            Q["webhook_delivery_insert"], org_id, row["id"], delivery.event, delivery.object_id
        )
        await conn.execute(Q["webhook_subscription_delivered"], row["id"])
        inserted: bool = await conn.fetchval(Q["webhook_queue_insert"], org_id)
    return inserted


async def _send(receiver: Receiver, org_id: int) -> bool:
    """Send `apply_deliveries` (debounced); False when Redis is away: the queue row goes, so the
    next delivery tries again, and the scheduler's sweep sends it otherwise."""
    try:
        await asyncio.to_thread(
            send, receiver.broker, "apply_deliveries", org_id, delay_ms=receiver.debounce_ms
        )
    except Exception as exc:  # Redis away: the delivery is stored, the sweep sends its job
        logger.warning("apply_not_sent", org_id=org_id, error=type(exc).__name__)
        with contextlib.suppress(Exception):  # else the sweep reclaims the old queue row
            async with receiver.pool.acquire() as conn:
                await conn.execute(Q["webhook_queue_take"], org_id)
        return False
    return True


def _refuse(status: int, reason: str, org_id: int | None = None) -> web.Response:
    """A refused delivery: nothing stored, one log line without the key or the secret. Every
    401 reads the same, so the answer never tells a key that exists from one that does not."""
    logger.warning("webhook_refused", status=status, reason=reason, org_id=org_id)
    return web.Response(status=status, text=ANSWERS[status])
