"""Webhooks end to end: the sandbox delivers voucher events to the receiver running in the test,
real workers apply them, and Postgres ends equal to the sandbox's truth, change after change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pipeline_harness import (
    Pipeline,
    assert_matches_live_truth,
    assert_matches_truth,
    control,
    dead_letters,
    fetch,
    poll,
    redis_url_of,
)

from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.embedded import free_port
from shared.queue import send, sender
from worker.tripletex.events import AUTH_HEADER, SUBSCRIBED_EVENTS
from worker.webhooks.receiver import Receiver, build_app

GOOD_COMPANY = 201
YEAR = 2024
#: seconds a change may take from the sandbox to Postgres here (the goal on this machine: 10)
WITHIN_S = 30.0
POSTINGS = f"/companies/{GOOD_COMPANY}/postings"
SUBSCRIPTIONS = (
    "SELECT event, status, subscription_id, recreated FROM webhook_subscriptions"
    " WHERE org_id = $1 ORDER BY event"
)


@dataclass
class Hooked:
    """A synced organization whose subscriptions are active, and the receiver's address."""

    world: Pipeline
    org_id: int
    public_url: str


@pytest.fixture
async def hooked(pipeline: Pipeline) -> AsyncIterator[Hooked]:
    """The receiver on a free port in the test's loop, a worker that knows its public URL, and
    the good token's organization synced with its subscriptions (vouchers, master data) active."""
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    pipeline.env["LEDGERSYNC_PUBLIC_URL"] = public_url
    pool = await create_pool(pipeline.database_url, max_size=4)
    broker = sender(redis_url_of(pipeline))
    cipher = TokenCipher(pipeline.env["LEDGERSYNC_SECRET_KEY"])
    runner = web.AppRunner(build_app(Receiver(pool, cipher, broker, debounce_ms=200)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await pipeline.start_worker()
        org_id = await pipeline.add_org("Fjordlys", "good")
        row = await pipeline.wait_state(org_id, "synced", "needs_attention")
        assert row["state"] == "synced", row["state_reason"]
        await assert_matches_truth(pipeline, org_id, GOOD_COMPANY)
        await poll("the subscriptions to be active", lambda: active(pipeline, org_id))
        yield Hooked(pipeline, org_id, public_url)
    finally:
        await pipeline.stop_workers()
        await runner.cleanup()
        broker.close()
        await pool.close()


async def active(world: Pipeline, org_id: int) -> bool:
    """Whether every event subscribed to has an active subscription row."""
    rows = await fetch(world.database_url, SUBSCRIPTIONS, org_id)
    return [(r["event"], r["status"]) for r in rows] == [
        (event, "active") for event in sorted(SUBSCRIBED_EVENTS)
    ]


async def settled(hooked: Hooked) -> None:
    """Until every delivery is applied and Postgres equals the sandbox as it stands now."""

    async def equal() -> bool:
        waiting = await fetch(
            hooked.world.database_url,
            "SELECT count(*) AS n FROM webhook_deliveries WHERE org_id = $1 AND applied_at IS NULL",
            hooked.org_id,
        )
        if waiting[0]["n"]:
            return False
        try:
            await assert_matches_live_truth(hooked.world, hooked.org_id, GOOD_COMPANY)
        except AssertionError:
            return False
        return True

    await poll("Postgres to equal the sandbox", equal, within=WITHIN_S, every=0.2)
    await assert_matches_live_truth(hooked.world, hooked.org_id, GOOD_COMPANY)
    # every screen's "postings imported" follows the deliveries too
    counted = await fetch(
        hooked.world.database_url,
        "SELECT (SELECT sum(imported) FROM year_progress WHERE org_id = $1) AS shown,"
        " (SELECT count(*) FROM postings WHERE org_id = $1) AS held",
        hooked.org_id,
    )
    assert counted[0]["shown"] == counted[0]["held"]


async def outcomes(hooked: Hooked) -> list[tuple[str, int, str]]:
    rows = await fetch(
        hooked.world.database_url,
        "SELECT event, object_id, outcome FROM webhook_deliveries WHERE org_id = $1 ORDER BY id",
        hooked.org_id,
    )
    return [(r["event"], r["object_id"], r["outcome"]) for r in rows]


async def test_a_voucher_created_changed_and_deleted_reaches_postgres(hooked: Hooked) -> None:
    world = hooked.world
    added = await control(
        world,
        "POST",
        POSTINGS,
        {
            "date": date(YEAR, 5, 14).isoformat(),
            "postings": [
                {"accountNumber": 1920, "amount": "700.00", "description": "Webhook 1"},
                {"accountNumber": 3000, "amount": "-500.00", "description": "Webhook 2"},
                {"accountNumber": 3000, "amount": "-200.00", "description": "Webhook 3"},
            ],
        },
    )
    voucher, (first, second, third) = added["voucher"], added["postings"]
    await settled(hooked)
    stored = await fetch(
        world.database_url,
        "SELECT count(*) AS n FROM postings WHERE org_id = $1 AND voucher_id = $2",
        hooked.org_id,
        voucher,
    )
    assert stored[0]["n"] == 3

    # changed: one posting's amount, then one posting removed
    await control(world, "PATCH", f"{POSTINGS}/{first}", {"amount": "900.00"})
    await control(world, "PATCH", f"{POSTINGS}/{second}", {"amount": "-700.00"})
    await control(world, "DELETE", f"{POSTINGS}/{third}")
    await settled(hooked)
    amounts = await fetch(
        world.database_url,
        "SELECT posting_id, amount FROM postings WHERE org_id = $1 AND voucher_id = $2",
        hooked.org_id,
        voucher,
    )
    assert {r["posting_id"]: r["amount"] for r in amounts} == {
        first: Decimal("900.00"),
        second: Decimal("-700.00"),
    }

    # deleted: its last postings go, and the voucher with them
    await control(world, "DELETE", f"{POSTINGS}/{first}")
    await control(world, "DELETE", f"{POSTINGS}/{second}")
    await settled(hooked)
    assert not await fetch(
        world.database_url,
        "SELECT 1 FROM postings WHERE org_id = $1 AND voucher_id = $2",
        hooked.org_id,
        voucher,
    )
    done = await outcomes(hooked)
    assert {event for event, _, _ in done} >= {"voucher.create", "voucher.update", "voucher.delete"}
    assert all(outcome in ("added", "updated", "deleted", "stale") for _, _, outcome in done), done
    versions = await fetch(
        world.database_url,
        "SELECT deleted FROM voucher_versions WHERE org_id = $1 AND voucher_id = $2",
        hooked.org_id,
        voucher,
    )
    assert [r["deleted"] for r in versions] == [True]
    freshness = await fetch(
        world.database_url, "SELECT * FROM freshness WHERE org_id = $1", hooked.org_id
    )
    assert freshness[0]["last_change_source"] == "webhook"
    assert await dead_letters(redis_url_of(world)) == {"chunks": 0, "onboarding": 0}


async def test_deliveries_out_of_order_end_with_the_newest_version(hooked: Hooked) -> None:
    world = hooked.world
    posting = min(
        r["posting_id"]
        for r in await fetch(
            world.database_url,
            "SELECT posting_id FROM postings WHERE org_id = $1 AND posting_date >= $2",
            hooked.org_id,
            date(YEAR, 1, 1),
        )
    )
    # a burst: three versions of one voucher within the debounce, applied as one job
    for amount in ("111.11", "222.22", "333.33"):
        await control(world, "PATCH", f"{POSTINGS}/{posting}", {"amount": amount})
    await settled(hooked)
    row = await fetch(
        world.database_url,
        "SELECT p.amount, p.voucher_id, v.version FROM postings AS p JOIN voucher_versions AS v"
        " ON v.org_id = p.org_id AND v.voucher_id = p.voucher_id"
        " WHERE p.org_id = $1 AND p.posting_id = $2",
        hooked.org_id,
        posting,
    )
    assert row[0]["amount"] == Decimal("333.33")
    newest = row[0]["version"]
    # the oldest delivery arrives once more, late: its job fetches the voucher as it stands now,
    # and an older version is never written over the newer one
    await fetch(
        world.database_url,
        "INSERT INTO webhook_deliveries (org_id, event, object_id)"
        " VALUES ($1, 'voucher.create', $2) RETURNING id",
        hooked.org_id,
        row[0]["voucher_id"],
    )
    send(sender(redis_url_of(world)), "apply_deliveries", hooked.org_id)
    await settled(hooked)
    again = await fetch(
        world.database_url,
        "SELECT version FROM voucher_versions WHERE org_id = $1 AND voucher_id = $2",
        hooked.org_id,
        row[0]["voucher_id"],
    )
    assert again[0]["version"] >= newest


async def test_a_disabled_subscription_is_made_again_and_the_gap_resynced(hooked: Hooked) -> None:
    world = hooked.world
    rows = await fetch(world.database_url, SUBSCRIPTIONS, hooked.org_id)
    update = next(r for r in rows if r["event"] == "voucher.update")
    await control(world, "POST", f"/subscriptions/{update['subscription_id']}/disable")
    # a change Tripletex does not deliver: the subscription is disabled
    posting = min(
        r["posting_id"]
        for r in await fetch(
            world.database_url,
            "SELECT posting_id FROM postings WHERE org_id = $1 AND posting_date >= $2",
            hooked.org_id,
            date(YEAR, 1, 1),
        )
    )
    await control(world, "PATCH", f"{POSTINGS}/{posting}", {"amount": "4242.42"})
    with pytest.raises(AssertionError):
        await assert_matches_live_truth(world, hooked.org_id, GOOD_COMPANY)

    send(sender(redis_url_of(world)), "care_webhooks", hooked.org_id)

    async def recreated() -> list[Any]:
        found = await fetch(world.database_url, SUBSCRIPTIONS, hooked.org_id)
        again = next(r for r in found if r["event"] == "voucher.update")
        return found if again["recreated"] == 1 and again["status"] == "active" else []

    found = await poll("the subscription to be made again", recreated, within=WITHIN_S)
    again = next(r for r in found if r["event"] == "voucher.update")
    assert again["subscription_id"] != update["subscription_id"]
    listed = world.server.state.subscriptions.of(GOOD_COMPANY)
    assert {s.id for s in listed} == {r["subscription_id"] for r in found}, "the disabled one went"
    assert all(s.status.value == "ACTIVE" for s in listed)

    await poll("the gap to be re-synced", lambda: matches(hooked), within=WITHIN_S * 4, every=0.5)
    row = await world.wait_state(hooked.org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await assert_matches_live_truth(world, hooked.org_id, GOOD_COMPANY)


async def matches(hooked: Hooked) -> bool:
    try:
        await assert_matches_live_truth(hooked.world, hooked.org_id, GOOD_COMPANY)
    except AssertionError:
        return False
    return True


async def test_a_removed_organization_s_subscriptions_are_deleted_at_tripletex(
    hooked: Hooked,
) -> None:
    world = hooked.world
    assert len(world.server.state.subscriptions.of(GOOD_COMPANY)) == len(SUBSCRIBED_EVENTS)
    code, _, err = await world.ledgersync("org", "remove", str(hooked.org_id), "--yes")
    assert code == 0, err

    async def gone() -> bool:
        left = await fetch(world.database_url, "SELECT id FROM webhook_subscriptions")
        return not left and not world.server.state.subscriptions.of(GOOD_COMPANY)

    # staged in the removal's transaction, sent by a worker's outbox relay (removal has no broker)
    await poll("the subscriptions to be deleted at the sandbox", gone, within=WITHIN_S)


async def test_a_master_data_delivery_refreshes_that_register_alone(hooked: Hooked) -> None:
    """A customer changed at Tripletex: its register (one request) is listed again, no other."""
    world = hooked.world
    row = (
        await fetch(
            world.database_url,
            "SELECT hook_key, secret_encrypted, subscription_id FROM webhook_subscriptions"
            " WHERE org_id = $1 AND event = 'customer.update'",
            hooked.org_id,
        )
    )[0]
    secret = TokenCipher(world.env["LEDGERSYNC_SECRET_KEY"]).decrypt(row["secret_encrypted"])
    before = await control(world, "GET", "/counters")
    body = {"subscriptionId": row["subscription_id"], "event": "customer.update", "id": 7}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hooked.public_url}/tripletex/{row['hook_key']}",
            json=body,
            headers={AUTH_HEADER: secret},
        ) as answer,
    ):
        assert answer.status == 200

    async def recorded() -> list[Any]:
        found = await fetch(
            world.database_url,
            "SELECT last_change_what FROM freshness WHERE org_id = $1",
            hooked.org_id,
        )
        what = found[0]["last_change_what"] if found else None
        return found if what and "customers refreshed" in what else []

    found = await poll("the customers' register to be refreshed", recorded, within=WITHIN_S)
    assert found[0]["last_change_what"] == "customer.update 7: customers refreshed"
    after = await control(world, "GET", "/counters")
    asked = {
        endpoint: n - before["by_endpoint"].get(endpoint, 0)
        for endpoint, n in after["by_endpoint"].items()
        if n != before["by_endpoint"].get(endpoint, 0)
    }
    assert asked == {"GET /v2/customer": 1}, asked
    applied = await fetch(
        world.database_url,
        "SELECT outcome FROM webhook_deliveries WHERE org_id = $1 AND event = 'customer.update'",
        hooked.org_id,
    )
    assert [r["outcome"] for r in applied] == ["register refreshed"]
