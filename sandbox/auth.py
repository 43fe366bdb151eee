"""Basic authentication with a session token, the username rules, and who may call what."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum

from sandbox import errors
from sandbox.company import Company
from sandbox.ratelimit import RateState
from sandbox.sessions import Session
from sandbox.state import SandboxState
from sandbox.tokens import EmployeeToken, TokenKind


class Area(StrEnum):
    """What an endpoint needs: any session, a company context, or ledger access."""

    SESSION = "session"
    COMPANY = "company"
    LEDGER = "ledger"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, in which company; `proxy` when an accountant works in a client."""

    session: Session
    token: EmployeeToken
    company: Company
    proxy: bool


def credentials(header: str | None) -> tuple[str, str]:
    """(username, session token) from an Authorization header; raises 401 when unreadable."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise errors.unauthorized("Missing Basic authentication. " + errors.BASIC_FORMAT)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise errors.unauthorized(
            "The Authorization header is not valid base64. " + errors.BASIC_FORMAT
        ) from None
    username, colon, token = decoded.partition(":")
    if not colon:
        raise errors.unauthorized("Expected <username>:<sessionToken>. " + errors.BASIC_FORMAT)
    return username, token


def authenticate(
    state: SandboxState, header: str | None, area: Area
) -> tuple[Principal, RateState]:
    """Resolve the caller; raise the ApiError for a missing session, the limit or a refusal.

    Errors raised after the rate limit was counted carry the rate state in `rate`.
    """
    username, value = credentials(header)
    session = state.sessions.get(value, state.faults.session_ttl, state.today())
    if session is None:
        raise errors.unauthorized(
            "The session token is unknown, deleted or expired; create a new one."
        )
    rate = state.limiter.hit(session.employee.id)
    try:
        if not rate.allowed:
            raise errors.rate_limited()
        principal = _resolve(state, session, username)
        _check_area(principal, area)
    except errors.ApiError as error:
        error.rate = rate
        raise
    return principal, rate


def _resolve(state: SandboxState, session: Session, username: str) -> Principal:
    token = session.employee
    own = state.scenario.company(token.company_id)
    assert own is not None, "every token belongs to a company of its scenario"
    if username in ("", "0"):
        return Principal(session, token, own, proxy=False)
    if not username.isdigit():
        raise errors.unauthorized(
            f"The username {username!r} is not a number. It must be a customer id or 0. "
            + errors.BASIC_FORMAT
        )
    company_id = int(username)
    if company_id == own.id:
        return Principal(session, token, own, proxy=False)
    client = state.scenario.company(company_id) if company_id in token.clients else None
    if client is None:
        raise errors.unauthorized(
            f"The username {username} is not a company this session can log in to: use 0 for the "
            "token's own company or an id from /company/>withLoginAccess."
        )
    return Principal(session, token, client, proxy=True)


def _check_area(principal: Principal, area: Area) -> None:
    kind = principal.token.kind
    if kind is TokenKind.ACCOUNTANT and not principal.proxy and area is not Area.SESSION:
        raise errors.forbidden(errors.COMPANY_OWNED)
    if kind is TokenKind.NO_LEDGER_ACCESS and area is Area.LEDGER:
        raise errors.forbidden()
