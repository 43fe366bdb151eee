"""Token endpoints: `:create` (PUT and POST), DELETE of a session, and `>whoAmI`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from sandbox import errors
from sandbox.auth import Area, Principal
from sandbox.envelope import single
from sandbox.handlers import RATE, context, guard, state_of
from sandbox.query import selection
from sandbox.records import SESSION, WHO_AM_I
from sandbox.render import compile_selection, render_one
from sandbox.sessions import Session, SessionRequest, check_create


async def create_put(request: web.Request) -> web.Response:
    """PUT /token/session/:create?consumerToken=&employeeToken=&expirationDate= (200)."""
    return _create(request, request.query, 200)


async def create_post(request: web.Request) -> web.Response:
    """POST /token/session/:create with a JSON body (201); no body is a 422."""
    raw = await request.read()
    if not raw.strip():
        raise errors.invalid("body", "Request body may not be null.", code=15000)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise errors.invalid("body", "The request body is not valid JSON.", code=22000) from None
    if not isinstance(body, dict):
        raise errors.invalid("body", "The request body must be a JSON object.", code=16000)
    return _create(request, {k: v for k, v in body.items() if isinstance(v, str)}, 201)


def _create(request: web.Request, params: Mapping[str, str], status: int) -> web.Response:
    state = state_of(request)
    known = state.scenario.token_by_value(params.get("employeeToken", ""))
    rate = state.limiter.hit(known.id) if known else None
    try:
        if rate is not None and not rate.allowed:
            raise errors.rate_limited()
        asked = SessionRequest(
            params.get("consumerToken"), params.get("employeeToken"), params.get("expirationDate")
        )
        token, expiration = check_create(
            state.scenario, asked, state.today(), revoked=state.revoked
        )
        chosen = selection(request.query, SESSION)
    except errors.ApiError as error:
        error.rate = rate
        raise
    if rate is not None:
        request[RATE] = rate
    session = state.sessions.create(token, expiration)
    data = session_data(session, state.scenario.consumer.id)
    return single(render_one(compile_selection(SESSION, chosen), data, context(request)), status)


def session_data(session: Session, consumer_id: int) -> dict[str, Any]:
    """A session token as the SessionToken DTO (a dict for the plain model)."""
    return {
        "id": session.id,
        "consumerToken": {"id": consumer_id},
        "employeeToken": {"id": session.employee.id},
        "expirationDate": session.expiration.isoformat(),
        "token": session.value,
        "encryptionKey": session.encryption_key,
    }


async def delete(request: web.Request) -> web.Response:
    """DELETE /token/session/{token} (204; 404 when there is no such session)."""
    guard(request, Area.COMPANY)
    if not state_of(request).sessions.delete(request.match_info["token"]):
        raise errors.not_found("No session token with that value.")
    return web.Response(status=204)


async def who_am_i(request: web.Request) -> web.Response:
    """GET /token/session/>whoAmI."""
    principal = guard(request, Area.SESSION)
    chosen = selection(request.query, WHO_AM_I)
    return single(render_one(compile_selection(WHO_AM_I, chosen), who(principal), context(request)))


def who(principal: Principal) -> dict[str, Any]:
    """The LoggedInUserInfo of a caller; acting in a client, the employee is a proxy."""
    token, company = principal.token, principal.company
    employee = company.id * 1000 + 1 if principal.proxy else token.employee_id
    return {
        "employeeId": employee,
        "actualEmployeeId": token.employee_id,
        "employee": {"id": employee},
        "companyId": company.id,
        "company": {"id": company.id},
        "language": "no",
        "loggedInWithConnect": False,
        "employeeIsProxy": principal.proxy,
    }
