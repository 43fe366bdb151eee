"""Request handlers, one module per API area, and the two steps every one of them starts with."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.auth import Area, Principal, authenticate
from sandbox.envelope import listing
from sandbox.pagecache import Page
from sandbox.query import capped, paging, selection, sort
from sandbox.ratelimit import RateState
from sandbox.render import Context, Model, compile_selection, render_many
from sandbox.state import STATE, SandboxState

#: the rate-limit state of a counted request; its headers go on the response
RATE = web.RequestKey("rate", RateState)


def state_of(request: web.Request) -> SandboxState:
    """The sandbox state of the application serving the request."""
    return request.app[STATE]


def guard(request: web.Request, area: Area) -> Principal:
    """Authenticate the caller for an area; the rate state goes on the response."""
    principal, rate = authenticate(state_of(request), request.headers.get("Authorization"), area)
    request[RATE] = rate
    return principal


def context(request: web.Request) -> Context:
    """A render context whose refs point back at this server (`host/v2`, no scheme)."""
    return Context(base=f"{request.host}/v2")


def small_list(request: web.Request, model: Model, objects: list[Any]) -> web.StreamResponse:
    """Sort, cap, page and render a small in-memory list (registers, accounts, ledger rows)."""
    start, count = paging(request.query)
    chosen = selection(request.query, model)
    capped(len(objects))
    objects = sort(request.query, model, objects)
    shown = objects[start : start + count]
    values = render_many(compile_selection(model, chosen), shown, context(request))
    return listing(request, Page(values, len(shown), len(objects)), start)
