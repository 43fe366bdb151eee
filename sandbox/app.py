"""The aiohttp application: routes, Tripletex's response conventions, and fault injection."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from sandbox import errors
from sandbox.envelope import error_response, proxy_error
from sandbox.faults import ERROR_STATUSES, Faults
from sandbox.handlers import RATE, books, company, control, events, ledger, registers, session
from sandbox.latency import pace
from sandbox.scenario import Scenario
from sandbox.state import STATE, SandboxState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: where the Tripletex API lives, and the control API
API, CONTROL = "/v2", "/_sandbox"
#: the one template a path segment holding an encoded colon can match: DELETE /token/session/{token}
TOKEN_PATH = API + "/token/session/"
#: `%3A` in a raw path: Jersey matches in encoded space, so it never stands for a literal `:`
ENCODED_COLON = re.compile("%3a", re.IGNORECASE)


def create_app(
    scenario: Scenario,
    faults: Faults | None = None,
    *,
    page_cache_mb: int = 128,
    clock: datetime | None = None,
) -> web.Application:
    """The sandbox as an aiohttp application (state under `sandbox.state.STATE`); `clock` sets
    its wall clock (session expiry) to that time at start."""
    app = web.Application(middlewares=[tripletex, encoded_space, control.control_errors])
    state = app[STATE] = SandboxState(
        scenario, faults, page_cache_mb=page_cache_mb, wall_clock=clock
    )
    app.on_startup.append(state.webhooks.start)
    app.on_cleanup.append(state.webhooks.stop)
    add = app.router.add_route
    for method, path, handler in (
        ("PUT", "/token/session/:create", session.create_put),
        ("POST", "/token/session/:create", session.create_post),
        ("GET", "/token/session/>whoAmI", session.who_am_i),
        ("DELETE", "/token/session/{token:.+}", session.delete),
        ("GET", "/company/>withLoginAccess", company.with_login_access),
        ("GET", r"/company/{id:\d+}", company.company),
        ("GET", "/ledger", books.general_ledger),
        ("GET", "/balanceSheet", books.balance_sheet),
        ("GET", "/ledger/posting", ledger.postings),
        ("GET", r"/ledger/posting/{id:\d+}", ledger.posting),
        ("GET", "/ledger/voucher", ledger.vouchers),
        ("GET", r"/ledger/voucher/{id:\d+}", ledger.voucher),
        ("GET", "/ledger/account", books.accounts),
        ("GET", r"/ledger/account/{id:\d+}", books.account),
        ("GET", "/ledger/annualAccount", books.annual_accounts),
        ("GET", "/event", events.events),
        ("GET", "/event/subscription", events.subscriptions),
        ("POST", "/event/subscription", events.subscribe),
        ("GET", r"/event/subscription/{id:\d+}", events.subscription),
        ("PUT", r"/event/subscription/{id:\d+}", events.resubscribe),
        ("DELETE", r"/event/subscription/{id:\d+}", events.unsubscribe),
    ):
        add(method, API + path, handler)
    for path, lister in registers.ROUTES:
        add("GET", API + path, lister)
    postings = CONTROL + r"/companies/{company:\d+}/postings"
    for method, path, handler in (
        ("GET", CONTROL, control.info),
        ("GET", CONTROL + "/faults", control.get_faults),
        ("PUT", CONTROL + "/faults", control.put_faults),
        ("PATCH", CONTROL + "/faults", control.put_faults),
        ("GET", CONTROL + "/truth", control.truth),
        ("GET", CONTROL + "/clock", control.get_clock),
        ("PUT", CONTROL + "/clock", control.put_clock),
        ("POST", postings, control.add_postings),
        ("PATCH", postings + r"/{posting:\d+}", control.change_posting),
        ("DELETE", postings + r"/{posting:\d+}", control.delete_posting),
        ("GET", CONTROL + "/sessions", control.issued_sessions),
        ("POST", CONTROL + "/sessions/expire", control.expire_sessions),
        ("POST", CONTROL + "/tokens/{label}/revoke", control.revoke_token),
        ("GET", CONTROL + "/counters", control.counters),
        ("DELETE", CONTROL + "/counters", control.counters),
        ("GET", CONTROL + "/mutations", control.mutations),
        ("GET", CONTROL + "/deliveries", events.deliveries),
        ("DELETE", CONTROL + "/deliveries", events.deliveries),
        ("POST", CONTROL + r"/subscriptions/{id:\d+}/disable", events.disable),
    ):
        add(method, path, handler)
    return app


def _endpoint(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return f"{request.method} {resource.canonical if resource else 'unknown'}"


@web.middleware
async def tripletex(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request ids, ApiError bodies, rate-limit headers, counters and injected faults on /v2."""
    if not request.path.startswith(API + "/") and request.path != API:
        return await handler(request)
    state = request.app[STATE]
    faults = state.faults
    if faults.delay_ms:
        await asyncio.sleep(faults.delay_ms / 1000)
    started = time.monotonic()  # latency mode's time counts from here (delay_ms comes on top)
    request_id = str(uuid.uuid4())
    if state.dice.roll(faults.error_share):
        status = state.dice.choice(ERROR_STATUSES)
        response: web.StreamResponse = proxy_error(status)
        if status == 500:
            response = error_response(errors.server_error(), request_id)
            response.headers["x-tlx-request-id"] = request_id
        state.counters.count(_endpoint(request), response.status)
        if faults.page_latency_ms is not None:
            await pace(request, faults.page_latency_ms, state.jitter.between, started)
        return response
    response = await _serve(request, handler, request_id)
    state.counters.count(_endpoint(request), response.status)
    if faults.page_latency_ms is not None:
        await pace(request, faults.page_latency_ms, state.jitter.between, started)
    if isinstance(response, web.Response) and response.status < 300:
        return await _mangle(request, state, response)
    return response


@web.middleware
async def encoded_space(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Match /v2 paths in encoded space, as Jersey does: `%3E` is `>`, but `%3A` is not `:`.

    aiohttp routes the decoded path, so `/token/session/%3Acreate` would reach `:create`; on
    Tripletex it is the `{token}` template (DELETE only), and anywhere else no endpoint at all.
    """
    raw = request.raw_path.partition("?")[0]
    if not raw.startswith(API + "/") or not ENCODED_COLON.search(raw):
        return await handler(request)
    token = raw.removeprefix(TOKEN_PATH) if raw.startswith(TOKEN_PATH) else ""
    if not token or "/" in token:
        raise errors.not_found("No such endpoint.")
    if request.method != "DELETE":
        raise errors.method_not_allowed("DELETE")
    return await handler(request)


async def _mangle(
    request: web.Request, state: SandboxState, response: web.Response
) -> web.StreamResponse:
    """Apply the body faults to a successful response: cut the JSON short or drop the connection."""
    body = response.body
    if not isinstance(body, bytes) or not body:
        return response
    if state.dice.roll(state.faults.truncate_share):
        response.body = body[: len(body) // 2]
    elif state.dice.roll(state.faults.reset_share):
        return await _reset(request, response, body)
    return response


async def _serve(request: web.Request, handler: Handler, request_id: str) -> web.StreamResponse:
    """Run the handler, turning ApiError and routing errors into ApiError responses."""
    try:
        response = await handler(request)
        rate = request.get(RATE)
    except errors.ApiError as error:
        response, rate = error_response(error, request_id), error.rate
    except web.HTTPNotFound:
        response, rate = error_response(errors.not_found("No such endpoint."), request_id), None
    except web.HTTPMethodNotAllowed as refused:
        not_allowed = errors.method_not_allowed(", ".join(sorted(refused.allowed_methods)))
        response, rate = error_response(not_allowed, request_id), None
    response.headers["x-tlx-request-id"] = request_id
    if rate is not None:
        response.headers.update(rate.headers())
    return response


async def _reset(
    request: web.Request, response: web.StreamResponse, body: bytes
) -> web.StreamResponse:
    """Send the headers and half the body, then drop the connection."""
    partial = web.StreamResponse(status=response.status, headers=response.headers)
    partial.content_length = len(body)
    await partial.prepare(request)
    await partial.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return partial
