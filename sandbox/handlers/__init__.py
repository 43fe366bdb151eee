"""Request handlers, one module per API area, and the two steps every one of them starts with."""

from __future__ import annotations

from aiohttp import web

from sandbox.auth import Area, Principal, authenticate
from sandbox.ratelimit import RateState
from sandbox.render import Context
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
