"""Over HTTP: the event API, subscriptions, and webhook deliveries to a real local receiver."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from sandbox.__main__ import main, parser
from sandbox.events import EVENTS

if TYPE_CHECKING:
    from conftest import Tx

#: company 201 is the good token's own (username 0); 202 a client of the accountant token
OWN, CLIENT = 201, 202
SECRET = {"authHeaderName": "X-Ledgersync-Secret", "authHeaderValue": "s3cret"}
#: retries and backoffs small enough for tests
QUICK = {"webhook_retries": 1, "webhook_backoff_ms": 1}


class Receiver:
    """A webhook receiver on localhost: records each POST, answers `status` after `delay_s`."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], Any]] = []
        self.status = 200
        self.delay_s = 0.0
        self.url = ""
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        """Record one delivery."""
        self.got.append((dict(request.headers), await request.json()))
        self.arrived.set()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.Response(status=self.status)

    async def wait(self, count: int, within: float = 5.0) -> list[Any]:
        """The bodies once `count` deliveries arrived (fails after `within` seconds)."""
        async with asyncio.timeout(within):
            while len(self.got) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return [body for _, body in self.got]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver on a free local port."""
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield found
    await runner.cleanup()


async def until(check: Callable[[], Awaitable[Any]], within: float = 5.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def call(
    tx: Tx, method: str, path: str, auth: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    """A /v2 request (`auth` from `Tx.auth`) with a JSON body; returns status and JSON."""
    url = tx.server.base_url + path
    async with tx.http.request(method, url, json=body, headers=auth) as r:
        raw = await r.read()
        return r.status, (await r.json(content_type=None) if raw else None)


async def subscribe(
    tx: Tx, token: str, event: str, target: str, username: str = "0", **extra: Any
) -> dict[str, Any]:
    """POST a subscription (body keys in `extra`); returns it."""
    body = {"event": event, "targetUrl": target} | extra
    status, created = await call(tx, "POST", "/event/subscription", tx.auth(token, username), body)
    assert status == 201, created
    value: dict[str, Any] = created["value"]
    return value


async def add_voucher(tx: Tx, company: int = OWN, day: str = "2024-03-05") -> dict[str, Any]:
    """Book a two-posting voucher through the control API."""
    body = {
        "date": day,
        "postings": [
            {"accountNumber": 1920, "amount": 100},
            {"accountNumber": 3000, "amount": -100},
        ],
    }
    status, added = await tx.control("POST", f"/companies/{company}/postings", body)
    assert status == 201, added
    return dict(added)


async def deliveries(tx: Tx, count: int) -> list[dict[str, Any]]:
    """The delivery log once it holds `count` entries."""

    async def check() -> list[dict[str, Any]] | None:
        log = (await tx.control("GET", "/deliveries"))[1]
        return log if len(log) >= count else None

    found: list[dict[str, Any]] = await until(check)
    return found


async def test_event_catalogue(fresh: Tx) -> None:
    token = await fresh.session()
    response, body = await fresh.get("/event", token)
    assert response.status == 200
    events = body["value"]
    things = ("voucher", "customer", "supplier", "project", "product", "account")
    assert set(events) == {f"{t}.{v}" for t in things for v in ("create", "update", "delete")}
    assert events["voucher.update"]["payloadModel"] == "Voucher"
    assert "postings" in events["voucher.update"]["description"]
    assert events["customer.delete"]["payloadModel"] == "Customer"
    accountant = await fresh.session("accountant")
    response, error = await fresh.get("/event", accountant)
    assert (response.status, error["code"]) == (403, 9000), "username 0 of an accountant token"
    assert (await fresh.get("/event", accountant, username=str(CLIENT)))[0].status == 200


async def test_subscription_crud(fresh: Tx) -> None:
    token = await fresh.session()
    created = await subscribe(fresh, token, "voucher.update", "https://example.test/h", **SECRET)
    assert set(created) == {
        "id",
        "version",
        "url",
        "event",
        "targetUrl",
        "fields",
        "status",
        "authHeaderName",
    }, "authHeaderValue is never shown"
    assert (created["status"], created["version"]) == ("ACTIVE", 0)
    assert created["authHeaderName"] == "X-Ledgersync-Secret"
    sid = created["id"]
    assert created["url"].endswith(f"/v2/event/subscription/{sid}")
    other = await subscribe(fresh, token, "voucher.delete", "http://example.test/d")
    _, listed = await fresh.get("/event/subscription", token)
    assert [s["id"] for s in listed["values"]] == [sid, other["id"]]
    assert "versionDigest" in listed
    _, one = await fresh.get(f"/event/subscription/{sid}", token, fields="id,event")
    assert one["value"] == {"id": sid, "event": "voucher.update"}
    moved = {"targetUrl": "https://example.test/2"}
    status, changed = await call(
        fresh, "PUT", f"/event/subscription/{sid}", fresh.auth(token), moved
    )
    assert status == 200
    assert (changed["value"]["targetUrl"], changed["value"]["version"]) == (
        "https://example.test/2",
        1,
    )
    assert changed["value"]["event"] == "voucher.update", "keys left out stay"
    assert (await call(fresh, "DELETE", f"/event/subscription/{sid}", fresh.auth(token)))[0] == 204
    assert (await fresh.get(f"/event/subscription/{sid}", token))[0].status == 404
    _, listed = await fresh.get("/event/subscription", token)
    assert [s["id"] for s in listed["values"]] == [other["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "voucher.explode", "targetUrl": "https://example.test/h"}, "event"),
        ({"targetUrl": "https://example.test/h"}, "event"),
        ({"event": "voucher.create", "targetUrl": "ftp://example.test/h"}, "targetUrl"),
        ({"event": "voucher.create"}, "targetUrl"),
        ({"event": "voucher.create", "targetUrl": "http://x.test", "fields": "id,nope"}, "fields"),
    ],
)
async def test_subscription_validation(tx: Tx, body: dict[str, Any], field: str) -> None:
    token = await tx.session()
    status, error = await call(tx, "POST", "/event/subscription", tx.auth(token), body)
    assert (status, error["code"]) == (422, 15000)
    assert error["validationMessages"][0]["field"] == field


async def test_subscription_bad_body_and_other_companies(fresh: Tx) -> None:
    token = await fresh.session()
    url = fresh.server.base_url + "/event/subscription"
    async with fresh.http.post(url, data=b"{not json", headers=fresh.auth(token)) as response:
        assert (response.status, (await response.json())["code"]) == (422, 22000)
    mine = await subscribe(fresh, token, "voucher.create", "https://example.test/h")
    accountant = await fresh.session("accountant")
    path = f"/event/subscription/{mine['id']}"
    assert (await fresh.get(path, accountant, username=str(CLIENT)))[0].status == 404
    status, _ = await call(fresh, "DELETE", path, fresh.auth(accountant, str(CLIENT)))
    assert status == 404
    _, listed = await fresh.get("/event/subscription", accountant, username=str(CLIENT))
    assert listed["values"] == []


async def test_create_update_delete_deliveries(fresh: Tx, receiver: Receiver) -> None:
    token = await fresh.session()
    created = await subscribe(fresh, token, "voucher.create", receiver.url, **SECRET)
    fields = "id,version,postings(id,version,amount)"
    updated = await subscribe(fresh, token, "voucher.update", receiver.url, fields=fields)
    deleted = await subscribe(fresh, token, "voucher.delete", receiver.url, **SECRET)
    added = await add_voucher(fresh)
    vid, (first, second) = added["voucher"], added["postings"]
    await receiver.wait(1)
    headers, body = receiver.got[0]
    assert body == {
        "subscriptionId": created["id"],
        "event": "voucher.create",
        "id": vid,
        "value": {
            "id": vid,
            "version": 0,
            "date": "2024-03-05",
            "number": added["number"],
            "year": 2024,
        },
    }
    assert headers["X-Ledgersync-Secret"] == "s3cret"
    assert headers["Content-Type"] == "application/json"
    change = {"amount": 150}
    path = f"/companies/{OWN}/postings"
    assert (await fresh.control("PATCH", f"{path}/{first}", change))[0] == 200
    body = (await receiver.wait(2))[1]
    assert (body["subscriptionId"], body["event"], body["id"]) == (
        updated["id"],
        "voucher.update",
        vid,
    )
    assert body["value"]["version"] == 1
    assert [(p["id"], p["version"], p["amount"]) for p in body["value"]["postings"]] == [
        (first, 1, 150.0),
        (second, 0, -100.0),
    ]
    assert "X-Ledgersync-Secret" not in receiver.got[1][0], "no auth header was asked for"
    _, now = await fresh.get(f"/ledger/voucher/{vid}", token, fields="id,version")
    assert now["value"] == {"id": vid, "version": 1}
    assert (await fresh.control("DELETE", f"{path}/{first}"))[0] == 204
    body = (await receiver.wait(3))[2]
    assert (body["event"], body["value"]["version"]) == ("voucher.update", 2)
    assert [p["id"] for p in body["value"]["postings"]] == [second]
    assert (await fresh.control("DELETE", f"{path}/{second}"))[0] == 204
    body = (await receiver.wait(4))[3]
    assert body == {
        "subscriptionId": deleted["id"],
        "event": "voucher.delete",
        "id": vid,
        "value": None,
    }
    assert (await fresh.get(f"/ledger/voucher/{vid}", token))[0].status == 404
    log = await deliveries(fresh, 4)
    assert [(d["event"], d["attempts"], d["status"], d["delivered"]) for d in log] == [
        ("voucher.create", 1, 200, True),
        ("voucher.update", 1, 200, True),
        ("voucher.update", 1, 200, True),
        ("voucher.delete", 1, 200, True),
    ]
    assert {d["id"] for d in log} == {vid}
    assert (await fresh.control("DELETE", "/deliveries"))[0] == 204
    assert (await fresh.control("GET", "/deliveries"))[1] == []


async def _status_of(tx: Tx, token: str, sid: int) -> str:
    _, listed = await tx.get("/event/subscription", token)
    return str(next(s["status"] for s in listed["values"] if s["id"] == sid))


async def test_failures_disable_and_put_reactivates(fresh: Tx, receiver: Receiver) -> None:
    token = await fresh.session()
    faults = QUICK | {"webhook_disable_after": 2, "webhook_fail_next": 4}
    assert (await fresh.control("PATCH", "/faults", faults))[0] == 200
    sid = (await subscribe(fresh, token, "voucher.create", receiver.url))["id"]
    await add_voucher(fresh)
    (failed,) = await deliveries(fresh, 1)
    assert (failed["attempts"], failed["delivered"], failed["status"]) == (2, False, None)
    assert "webhook_fail_next" in failed["error"]
    assert await _status_of(fresh, token, sid) == "ACTIVE", "one failure is not enough"
    await add_voucher(fresh)
    assert (await deliveries(fresh, 2))[1]["delivered"] is False
    assert await _status_of(fresh, token, sid) == "DISABLED_TOO_MANY_ERRORS"
    await add_voucher(fresh)
    assert fresh.server.state.webhooks.pending() == 0, "nothing queued for a disabled one"
    status, again = await call(fresh, "PUT", f"/event/subscription/{sid}", fresh.auth(token), {})
    assert (status, again["value"]["status"]) == (200, "ACTIVE")
    added = await add_voucher(fresh)
    (body,) = await receiver.wait(1)
    assert body["id"] == added["voucher"], "the disabled one's events were never sent"
    log = await deliveries(fresh, 3)
    assert len(log) == 3
    assert log[2]["delivered"] is True


async def test_receiver_errors_refusals_and_timeouts_fail(
    fresh: Tx, receiver: Receiver, unused_tcp_port: int
) -> None:
    token = await fresh.session()
    faults = QUICK | {"webhook_timeout_s": 0.2, "webhook_disable_after": 3}
    await fresh.control("PATCH", "/faults", faults)
    receiver.status = 500
    sid = (await subscribe(fresh, token, "voucher.create", receiver.url))["id"]
    await add_voucher(fresh)
    (first,) = await deliveries(fresh, 1)
    assert (first["attempts"], first["status"], first["error"]) == (2, 500, "HTTP 500")
    assert len(receiver.got) == 2, "retried once"
    receiver.status, receiver.delay_s = 200, 1.0
    await add_voucher(fresh)
    second = (await deliveries(fresh, 2))[1]
    assert (second["delivered"], second["status"]) == (False, None)
    assert "timeout" in second["error"]
    refused = f"http://127.0.0.1:{unused_tcp_port}/hook"
    await call(
        fresh, "PUT", f"/event/subscription/{sid}", fresh.auth(token), {"targetUrl": refused}
    )
    await add_voucher(fresh)
    third = (await deliveries(fresh, 3))[2]
    assert (third["delivered"], third["attempts"]) == (False, 2)
    assert "Connect" in third["error"]
    assert await _status_of(fresh, token, sid) == "ACTIVE", "PUT restarted the count"


async def test_success_resets_the_count(fresh: Tx, receiver: Receiver) -> None:
    token = await fresh.session()
    faults = QUICK | {"webhook_retries": 0, "webhook_disable_after": 2, "webhook_fail_next": 1}
    await fresh.control("PATCH", "/faults", faults)
    sid = (await subscribe(fresh, token, "voucher.create", receiver.url))["id"]
    await add_voucher(fresh)
    await add_voucher(fresh)
    await deliveries(fresh, 2)
    await fresh.control("PATCH", "/faults", {"webhook_fail_next": 1})
    await add_voucher(fresh)
    log = await deliveries(fresh, 3)
    assert [d["delivered"] for d in log] == [False, True, False]
    assert await _status_of(fresh, token, sid) == "ACTIVE", "not two failures in a row"


async def test_disable_on_demand(fresh: Tx, receiver: Receiver) -> None:
    token = await fresh.session()
    sid = (await subscribe(fresh, token, "voucher.create", receiver.url))["id"]
    status, shown = await fresh.control("POST", f"/subscriptions/{sid}/disable")
    assert (status, shown["status"], shown["company"]) == (200, "DISABLED_TOO_MANY_ERRORS", OWN)
    assert await _status_of(fresh, token, sid) == "DISABLED_TOO_MANY_ERRORS"
    await add_voucher(fresh)
    assert fresh.server.state.webhooks.pending() == 0
    assert (await fresh.control("GET", "/deliveries"))[1] == []
    assert (await fresh.control("POST", "/subscriptions/999/disable"))[0] == 404


async def test_delay_and_order(fresh: Tx, receiver: Receiver) -> None:
    token = await fresh.session()
    await fresh.control("PATCH", "/faults", {"webhook_delay_ms": 100})
    await subscribe(fresh, token, "voucher.create", receiver.url)
    started = time.monotonic()
    ids = [(await add_voucher(fresh))["voucher"] for _ in range(3)]
    assert time.monotonic() - started < 0.3, "the changes never wait for deliveries"
    bodies = await receiver.wait(3)
    assert [b["id"] for b in bodies] == ids, "one subscription's deliveries go in order"
    assert time.monotonic() - started >= 0.3, "each waited its webhook_delay_ms"


async def test_companies_never_see_each_others_events(fresh: Tx, receiver: Receiver) -> None:
    own = await fresh.session()
    accountant = await fresh.session("accountant")
    mine = await subscribe(fresh, own, "voucher.create", receiver.url + "?company=own")
    theirs = await subscribe(
        fresh, accountant, "voucher.create", receiver.url, username=str(CLIENT)
    )
    added = await add_voucher(fresh, CLIENT, "2023-03-01")
    (body,) = await receiver.wait(1)
    assert (body["subscriptionId"], body["id"]) == (theirs["id"], added["voucher"])
    assert [d["subscriptionId"] for d in await deliveries(fresh, 1)] == [theirs["id"]]
    assert fresh.server.state.webhooks.pending() == 0, "nothing queued for company 201"
    assert mine["id"] != theirs["id"]


async def test_between_pages_fault_sends_events(fresh: Tx, receiver: Receiver) -> None:
    token = await fresh.session()
    for event in ("voucher.create", "voucher.update", "voucher.delete"):
        await subscribe(fresh, token, event, receiver.url)
    await fresh.control("PATCH", "/faults", {"page_mutations": 3})
    url = fresh.server.base_url + "/ledger/voucher"
    for start in (0, 40, 80, 120):
        query: dict[str, str | int] = {
            "dateFrom": "2023-01-01",
            "dateTo": "2024-01-01",
            "count": 40,
            "from": start,
        }
        async with fresh.http.get(url, params=query, headers=fresh.auth(token)) as response:
            assert response.status == 200
    _, mutations = await fresh.control("GET", "/mutations")
    bodies = await receiver.wait(3)
    expected = {"add": "voucher.create", "change": "voucher.update", "delete": "voucher.delete"}
    assert sorted((b["event"], b["id"]) for b in bodies) == sorted(
        (expected[m["kind"]], m["voucher"]) for m in mutations
    )


def test_catalogue_names_every_verb() -> None:
    assert all(e["payloadModel"] for e in EVENTS.values())
    assert len(EVENTS) == 18


def test_command_line_and_describe(capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(
        ["--checksum-unsupported", "/ledger/voucher", "--webhook-disable-after", "3"]
    )
    assert (args.checksum_unsupported, args.webhook_disable_after) == (["/ledger/voucher"], 3)
    assert parser().parse_args([]).webhook_disable_after == 10
    assert main(["--scenario", "small", "--describe"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert "voucher.update" in described["webhooks"]["events"]
    assert "POST /v2/event/subscription" in described["webhooks"]["api"]
    assert "GET /_sandbox/deliveries" in described["webhooks"]["control"]
    assert {"webhook_fail_next", "checksum_unsupported"} <= set(described["webhooks"]["faults"])
    assert main(["--checksum-unsupported", "ledger", "--describe"]) == 2, "paths start with /"
