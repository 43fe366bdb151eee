"""Webhook deliveries: voucher events from data changes, POSTed in the background, and their log.

Each change noted by `SandboxState.changed` becomes one voucher event (`voucher.create` for an
added voucher, `voucher.delete` when its last posting went, else `voucher.update`), delivered to
every ACTIVE subscription of that company on that event. Deliveries to one subscription go in
order from one task; a failed attempt (non-2xx, timeout, refused, or `Faults.webhook_fail_next`)
is retried `webhook_retries` times with a doubling backoff; `webhook_disable_after` failed
deliveries in a row disable the subscription (DISABLED_TOO_MANY_ERRORS), as Tripletex does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from sandbox.events import Status, Subscription, Subscriptions
from sandbox.faults import Faults
from sandbox.fields import parse
from sandbox.journal import Entry
from sandbox.ledger import Ledger
from sandbox.render import Context, compile_selection, render_one
from sandbox.schemas import VOUCHER


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to deliver to one subscription; `body` is the JSON it POSTs."""

    subscription_id: int
    company_id: int
    event: str
    object_id: int
    body: bytes


def voucher_event(record: dict[str, Any], ledger: Ledger) -> tuple[str, int, Entry | None]:
    """The event a change record makes, the voucher's id, and the voucher as it stands now."""
    vid = int(record.get("voucher") or record["postings"][0] // 1000)
    entry = ledger.voucher(vid)
    verb = "create" if record["kind"] == "add" else "delete" if entry is None else "update"
    return f"voucher.{verb}", vid, entry


def payload(subscription: Subscription, event: str, vid: int, entry: Entry | None) -> bytes:
    """The delivery body; the value is the voucher under the subscription's fields."""
    value = None
    if entry is not None:
        ctx = Context(subscription.base, postings={p.id: p for p in entry.postings})
        renderer = compile_selection(VOUCHER, parse(subscription.selection))
        value = orjson.Fragment(render_one(renderer, entry.voucher, ctx))
    return orjson.dumps(
        {"subscriptionId": subscription.id, "event": event, "id": vid, "value": value}
    )


class Webhooks:
    """The sender: a queue and a task per subscription, one HTTP session, a log of outcomes."""

    def __init__(self, subscriptions: Subscriptions, faults: Callable[[], Faults]) -> None:
        self.subscriptions = subscriptions
        self._faults = faults
        #: every delivery's outcome, oldest first
        self.log: list[dict[str, Any]] = []
        #: attempts still to fail on demand (`Faults.webhook_fail_next`)
        self.fails_left = faults().webhook_fail_next
        self._pending: dict[int, deque[Delivery]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._http: aiohttp.ClientSession | None = None

    async def start(self, app: web.Application) -> None:
        """Open the HTTP session (the app's on_startup)."""
        self._http = aiohttp.ClientSession()

    async def stop(self, app: web.Application) -> None:
        """Cancel the senders and close the session (the app's on_cleanup)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def notify(self, company_id: int, record: dict[str, Any], ledger: Ledger) -> None:
        """Queue the voucher event of a change for every ACTIVE subscription on it."""
        if "postings" not in record and "voucher" not in record:
            return
        event, vid, entry = voucher_event(record, ledger)
        for sub in self.subscriptions.of(company_id):
            if sub.status is Status.ACTIVE and sub.event == event:
                body = payload(sub, event, vid, entry)
                self._queue(Delivery(sub.id, company_id, event, vid, body))

    def _queue(self, delivery: Delivery) -> None:
        sid = delivery.subscription_id
        self._pending.setdefault(sid, deque()).append(delivery)
        if self._http is not None and sid not in self._tasks:
            self._tasks[sid] = asyncio.get_running_loop().create_task(self._drain(sid))

    async def _drain(self, sid: int) -> None:
        """Deliver a subscription's queue in order; the task ends when the queue is empty."""
        queue = self._pending[sid]
        try:
            while queue:
                await self._deliver(queue.popleft())
        finally:
            del self._tasks[sid]
            if not queue:
                del self._pending[sid]

    async def _deliver(self, delivery: Delivery) -> None:
        """Attempt a delivery with retries; count its outcome on the subscription."""
        attempts, status = 0, None
        error: str | None = "subscription not active"
        while True:
            faults = self._faults()
            if attempts:
                await asyncio.sleep(faults.webhook_backoff_ms / 1000 * 2 ** (attempts - 1))
            if not self._active(delivery.subscription_id):
                break
            attempts += 1
            status, error = await self._attempt(delivery, faults)
            if error is None or attempts > faults.webhook_retries:
                break
        if attempts:
            limit = self._faults().webhook_disable_after
            self.subscriptions.count_delivery(delivery.subscription_id, error is None, limit)
        self.log.append(
            {
                "subscriptionId": delivery.subscription_id,
                "company": delivery.company_id,
                "event": delivery.event,
                "id": delivery.object_id,
                "attempts": attempts,
                "status": status,
                "error": error,
                "delivered": error is None,
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
        )

    def _active(self, sid: int) -> bool:
        found = self.subscriptions.get(sid)
        return found is not None and found.status is Status.ACTIVE

    async def _attempt(self, delivery: Delivery, faults: Faults) -> tuple[int | None, str | None]:
        """One POST: (status, None) when the receiver took it, else (status or None, error)."""
        if faults.webhook_delay_ms:
            await asyncio.sleep(faults.webhook_delay_ms / 1000)
        sub = self.subscriptions.get(delivery.subscription_id)
        if sub is None or self._http is None:
            return None, "subscription deleted"
        if self.fails_left > 0:
            self.fails_left -= 1
            return None, "failed on demand (webhook_fail_next)"
        timeout = aiohttp.ClientTimeout(total=faults.webhook_timeout_s)
        try:
            async with self._http.post(
                sub.target_url,
                data=delivery.body,
                headers=sub.headers(),
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                await response.read()
        except TimeoutError:
            return None, f"timeout after {faults.webhook_timeout_s:g} s"
        except aiohttp.ClientError as refused:
            return None, f"{type(refused).__name__}: {refused}"
        if 200 <= response.status < 300:
            return response.status, None
        return response.status, f"HTTP {response.status}"

    def pending(self) -> int:
        """Deliveries queued or in flight (a rough count: each running sender counts one)."""
        return sum(len(q) for q in self._pending.values()) + len(self._tasks)
