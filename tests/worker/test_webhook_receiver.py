"""The webhook receiver against a real database and Redis: good deliveries are stored and queued
once per burst; forged, oversized and malformed ones are refused and store nothing; no secret is
ever logged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import pytest
import redis
import structlog
from aiohttp.test_utils import TestClient, TestServer

from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.db.queries import Q
from shared.queue import sender
from worker.tripletex.events import AUTH_HEADER
from worker.webhooks import receiver
from worker.webhooks.receiver import MAX_BODY, Receiver, build_app

SECRET = "the-subscriptions-own-secret-0123456789abcdef"
HOOK_KEY = "hook-key-abcdefghijklmnop"
SUBSCRIPTION_ID = 4711
#: where Dramatiq keeps delayed messages of the onboarding queue
DELAYED = "dramatiq:onboarding.DQ.msgs"


@dataclass
class World:
    """The receiver under test, its organization and subscription row."""

    client: TestClient[Any, Any]
    pg: asyncpg.Connection
    org_id: int
    row_id: int

    async def post(self, body: Any, *, secret: str | None = SECRET, key: str = HOOK_KEY) -> int:
        """POST a delivery (a dict is sent as JSON, bytes as they are); the status."""
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = {} if secret is None else {AUTH_HEADER: secret}
        async with self.client.post(f"/tripletex/{key}", data=data, headers=headers) as reply:
            return reply.status

    async def stored(self) -> int:
        """Deliveries stored."""
        return int(await self.pg.fetchval("SELECT count(*) FROM webhook_deliveries"))


def delivery(object_id: int = 101, subscription_id: int = SUBSCRIPTION_ID) -> dict[str, Any]:
    """A delivery's body as Tripletex sends it."""
    return {
        "subscriptionId": subscription_id,
        "event": "voucher.update",
        "id": object_id,
        "value": {"id": object_id},
    }


async def make_world(
    database_url: str, redis_url: str, pg: asyncpg.Connection
) -> AsyncIterator[World]:
    """An organization with an active voucher.update subscription, and the receiver."""
    cipher = TokenCipher("receiver-test-secret-key-0123456789")
    org_id = await pg.fetchval(Q["org_insert"], "Hooked AS", "api", "tripletex", "synced")
    row_id = await pg.fetchval(
        Q["webhook_subscription_create"],
        org_id,
        201,
        "voucher.update",
        HOOK_KEY,
        cipher.encrypt(SECRET),
    )
    await pg.execute(Q["webhook_subscription_created"], row_id, SUBSCRIPTION_ID, False)
    pool = await create_pool(database_url, max_size=2)
    broker = sender(redis_url)
    app = build_app(Receiver(pool, cipher, broker, debounce_ms=60_000))
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield World(client, pg, org_id, row_id)
    finally:
        await client.close()
        broker.close()
        await pool.close()


@pytest.fixture
async def world(
    database_url: str, redis_url: str, pg: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    # a fresh logger: the module's may have been cached under another configuration by an
    # earlier test in this process (cache_logger_on_first_use), which capture_logs cannot reach
    monkeypatch.setattr(receiver, "logger", structlog.get_logger(receiver.__name__))
    async for made in make_world(database_url, redis_url, pg):
        yield made


async def test_a_burst_is_stored_and_queues_one_apply_job(
    world: World, redis_client: redis.Redis
) -> None:
    with structlog.testing.capture_logs() as logs:
        statuses = [await world.post(delivery(100 + n)) for n in range(5)]
    assert statuses == [200] * 5
    rows = await world.pg.fetch(
        "SELECT org_id, subscription, event, object_id, applied_at FROM webhook_deliveries"
        " ORDER BY id"
    )
    assert [(r["org_id"], r["subscription"], r["event"], r["object_id"]) for r in rows] == [
        (world.org_id, world.row_id, "voucher.update", 100 + n) for n in range(5)
    ]
    assert all(r["applied_at"] is None for r in rows)
    assert await world.pg.fetchval("SELECT count(*) FROM webhook_queue") == 1
    messages = [orjson.loads(m) for m in redis_client.hvals(DELAYED)]
    assert [(m["actor_name"], m["args"]) for m in messages] == [
        ("apply_deliveries", [world.org_id])
    ], "one apply job for the burst"
    assert await world.pg.fetchval(
        "SELECT last_delivery_at IS NOT NULL FROM webhook_subscriptions WHERE id = $1",
        world.row_id,
    )
    lines = [e for e in logs if e["event"] == "webhook_delivery"]
    assert [(e["org_id"], e["object_id"], e["outcome"]) for e in lines][:2] == [
        (world.org_id, 100, "queued"),
        (world.org_id, 101, "stored"),
    ]
    assert SECRET not in repr(logs)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong secret", 401),
        ("missing secret", 401),
        ("unknown key", 401),
        ("other subscription", 401),
        ("oversized", 413),
        ("malformed", 400),
        ("not json", 400),
    ],
)
async def test_a_forged_or_broken_delivery_stores_nothing(
    world: World, redis_client: redis.Redis, case: str, expected: int
) -> None:
    with structlog.testing.capture_logs() as logs:
        if case == "wrong secret":
            status = await world.post(delivery(), secret=SECRET[:-1] + "x")
        elif case == "missing secret":
            status = await world.post(delivery(), secret=None)
        elif case == "unknown key":
            status = await world.post(delivery(), key="no-such-key-0123456789")
        elif case == "other subscription":
            status = await world.post(delivery(subscription_id=SUBSCRIPTION_ID + 1))
        elif case == "oversized":
            padded = delivery() | {"value": {"description": "x" * MAX_BODY}}
            status = await world.post(padded)
        elif case == "malformed":
            status = await world.post({"subscriptionId": SUBSCRIPTION_ID, "event": "voucher"})
        else:
            status = await world.post(b"\x00not json")
    assert status == expected
    assert await world.stored() == 0
    assert await world.pg.fetchval("SELECT count(*) FROM webhook_queue") == 0
    assert redis_client.hlen(DELAYED) == 0
    assert SECRET not in repr(logs)
    assert [e["status"] for e in logs if e["event"] == "webhook_refused"] == [expected]


async def test_a_removing_subscription_no_longer_delivers(world: World) -> None:
    await world.pg.execute(
        "UPDATE webhook_subscriptions SET status = 'removing' WHERE id = $1", world.row_id
    )
    assert await world.post(delivery()) == 401
    assert await world.stored() == 0


async def test_with_redis_away_the_delivery_is_kept_for_the_sweep(
    database_url: str, pg: asyncpg.Connection, redis_url: str
) -> None:
    async for made in make_world(database_url, "redis://127.0.0.1:1/0", pg):
        assert await made.post(delivery()) == 200, "stored durably: answered as received"
        assert await made.stored() == 1
        assert await pg.fetchval("SELECT count(*) FROM webhook_queue") == 0, (
            "the queue row went with the failed send: the next delivery sends again"
        )
        await pg.execute("UPDATE webhook_deliveries SET received_at = now() - interval '1 min'")
        swept = await pg.fetch(Q["webhook_deliveries_stalled"], 30.0)
        assert [r["org_id"] for r in swept] == [made.org_id]
        assert await pg.fetch(Q["webhook_deliveries_stalled"], 30.0) == [], "claimed once"


async def test_health_answers(world: World) -> None:
    async with world.client.get("/health") as reply:
        assert reply.status == 200
