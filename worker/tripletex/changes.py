"""The calls that keep an organization fresh: webhook subscriptions, one voucher, checksum probes
(aiohttp through `TripletexClient.exchange`; what they send and read is `events`')."""

from __future__ import annotations

import datetime as dt

from shared.logging import register_secret
from worker.tripletex.client import Call, TripletexClient
from worker.tripletex.events import (
    FIRST_DIGEST,
    PROBE_FIELDS,
    PROBE_PAGE,
    SUBSCRIPTION_FIELDS,
    VOUCHER_FIELDS,
    Probe,
    Subscription,
    parse_subscription,
    read_probe,
    subscription_body,
)
from worker.tripletex.protocol import Auth, api_path, decode_json, period, value_of, values_of

#: subscriptions listed per page: an organization has a handful
SUBSCRIPTION_PAGE = 1000


async def voucher_raw(client: TripletexClient, auth: Auth, voucher_id: int) -> bytes | None:
    """`GET /ledger/voucher/{id}` with its postings, the body as received; None when it is gone."""
    path = api_path("ledger", "voucher", str(voucher_id))
    call = Call("GET", path, auth, params={"fields": VOUCHER_FIELDS}, accept=(404,))
    reply = await client.exchange(call)
    return None if reply.status == 404 else reply.body


async def probe_vouchers(
    client: TripletexClient,
    auth: Auth,
    span: tuple[dt.date, dt.date],
    digest: str | None,
    known_hash: str | None,
) -> Probe:
    """One request: the vouchers of [start, end) by id and version, with `If-None-Match`."""
    sent = digest or FIRST_DIGEST
    params = {**period(*span), "from": "0", "count": str(PROBE_PAGE), "fields": PROBE_FIELDS}
    path, headers = api_path("ledger", "voucher"), {"If-None-Match": sent}
    reply = await client.exchange(
        Call("GET", path, auth, params=params, headers=headers, accept=(304,))
    )
    return read_probe(reply.status, reply.body, sent, known_hash)


async def event_subscriptions(client: TripletexClient, auth: Auth) -> list[Subscription]:
    """Every webhook subscription of the session's company."""
    params = {"from": "0", "count": str(SUBSCRIPTION_PAGE), "fields": SUBSCRIPTION_FIELDS}
    reply = await client.exchange(
        Call("GET", api_path("event", "subscription"), auth, params=params)
    )
    return [parse_subscription(item) for item in values_of(decode_json(reply.body))]


async def create_subscription(
    client: TripletexClient, auth: Auth, event: str, target_url: str, secret: str
) -> Subscription:
    """`POST /event/subscription`: deliveries of `event` to `target_url`, with our secret."""
    register_secret(secret)  # masked in every log line and error, wherever it appears
    body = subscription_body(event, target_url, secret)
    reply = await client.exchange(
        Call("POST", api_path("event", "subscription"), auth, payload=body, secrets=(secret,))
    )
    return parse_subscription(value_of(decode_json(reply.body)))


async def delete_subscription(client: TripletexClient, auth: Auth, subscription_id: int) -> None:
    """`DELETE /event/subscription/{id}`; one already gone is fine."""
    path = api_path("event", "subscription", str(subscription_id))
    await client.exchange(Call("DELETE", path, auth, accept=(404,)))
