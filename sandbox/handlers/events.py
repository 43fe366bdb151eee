"""The event API (`/event`, `/event/subscription`) and its control endpoints under /_sandbox.

Control endpoints:
- `GET /_sandbox/deliveries`: every webhook delivery's outcome, oldest first, each
  `{"subscriptionId", "company", "event", "id", "attempts", "status", "error", "delivered", "at"}`
  (`status` the receiver's last HTTP status or null, `error` null when delivered);
  `DELETE` clears the log.
- `POST /_sandbox/subscriptions/{id}/disable`: the subscription becomes DISABLED_TOO_MANY_ERRORS
  at once, as if its receiver had failed too often; answers the subscription with its company.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from sandbox import errors
from sandbox.auth import Area, Principal
from sandbox.envelope import single
from sandbox.events import EVENTS, SUBSCRIPTION, Status, Subscription, checked
from sandbox.fields import ALL
from sandbox.handlers import context, guard, small_list, state_of
from sandbox.handlers.control import ControlError, reply
from sandbox.query import selection
from sandbox.render import compile_selection, render_one


async def events(request: web.Request) -> web.Response:
    """GET /event: every event type with its description and payload model."""
    guard(request, Area.COMPANY)
    return single(orjson.dumps(EVENTS))


def _render(request: web.Request, subscription: Subscription, chosen: Any = ALL) -> bytes:
    return render_one(compile_selection(SUBSCRIPTION, chosen), subscription, context(request))


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object body of a POST or PUT (422 / 22000 when it is not one)."""
    try:
        data = orjson.loads(await request.read() or b"{}")
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise errors.ApiError(
            422, 22000, errors.VALIDATION_FAILED, developer="The body must be a JSON object."
        )
    return data


def _own(request: web.Request, principal: Principal) -> Subscription:
    """The subscription in the path, if it is the caller's company's (else 404 / 6000)."""
    found = state_of(request).subscriptions.get(int(request.match_info["id"]), principal.company.id)
    if found is None:
        raise errors.not_found()
    return found


async def subscriptions(request: web.Request) -> web.StreamResponse:
    """GET /event/subscription: the company's subscriptions, as a paged list."""
    principal = guard(request, Area.COMPANY)
    found = state_of(request).subscriptions.of(principal.company.id)
    return small_list(request, SUBSCRIPTION, found)


async def subscribe(request: web.Request) -> web.Response:
    """POST /event/subscription: `{"event", "targetUrl", "fields"?, "authHeaderName"?,
    "authHeaderValue"?}` → 201 with the new ACTIVE subscription."""
    principal = guard(request, Area.COMPANY)
    values = checked(await _body(request))
    base = context(request).base
    created = state_of(request).subscriptions.create(principal.company.id, values | {"base": base})
    return single(_render(request, created), 201)


async def subscription(request: web.Request) -> web.Response:
    """GET /event/subscription/{id}."""
    principal = guard(request, Area.COMPANY)
    found = _own(request, principal)
    return single(_render(request, found, selection(request.query, SUBSCRIPTION)))


async def resubscribe(request: web.Request) -> web.Response:
    """PUT /event/subscription/{id}: change event, targetUrl, fields or the auth header (keys
    left out stay); the subscription becomes ACTIVE again with no failures counted."""
    principal = guard(request, Area.COMPANY)
    old = _own(request, principal)
    values = checked(await _body(request), old)
    changed = state_of(request).subscriptions.update(
        old.id, **values, status=Status.ACTIVE, failures=0
    )
    return single(_render(request, changed))


async def unsubscribe(request: web.Request) -> web.Response:
    """DELETE /event/subscription/{id}: 204; deliveries still queued for it are dropped."""
    principal = guard(request, Area.COMPANY)
    state_of(request).subscriptions.delete(_own(request, principal).id)
    return web.Response(status=204)


async def deliveries(request: web.Request) -> web.Response:
    """GET /_sandbox/deliveries: the delivery log; DELETE clears it."""
    hooks = state_of(request).webhooks
    if request.method == "DELETE":
        hooks.log.clear()
        return web.Response(status=204)
    return reply(hooks.log)


async def disable(request: web.Request) -> web.Response:
    """POST /_sandbox/subscriptions/{id}/disable: DISABLED_TOO_MANY_ERRORS now."""
    subs = state_of(request).subscriptions
    found = subs.get(int(request.match_info["id"]))
    if found is None:
        raise ControlError("No such subscription.", 404)
    changed = subs.update(found.id, status=Status.DISABLED_TOO_MANY_ERRORS)
    shown = orjson.loads(_render(request, changed))
    return reply(shown | {"company": changed.company_id})
