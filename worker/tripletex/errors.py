"""Tripletex's errors: the classes the client raises, and the pure mapping from an answer to one.

The mapping reads the HTTP status, the ApiError `code` and `validationMessages[0].field`, never
the wording of a message (section 12 of the API notes): the wording is kept only as `detail`,
for advice. The 429 pacing helpers live here too: a 429 carries no Reset header, so its
`retry_after` comes from the Reset headers of earlier answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from shared.errors import RateLimited, UpstreamError
from shared.logging import MASK, redact_secrets

#: the validation field that names each token on `POST /token/session/:create`
EMPLOYEE_TOKEN_FIELD = "arg:employeeToken"  # noqa: S105 (a field name)
CONSUMER_TOKEN_FIELD = "arg:consumerToken"  # noqa: S105 (a field name)
#: ApiError codes the mapping reads
CODE_VALIDATION = 18000
CODE_RESULT_SET_TOO_LARGE = 23000
#: ApiError code of a `sorting` the endpoint does not accept
CODE_SORTING = 17000
#: after a 429 with no Reset seen for the auth: one whole sandbox window (Tripletex publishes none)
DEFAULT_RETRY_AFTER = 60.0
#: longest upstream sentence quoted in a message
_MAX_DETAIL = 200
_SPACE = re.compile(r"\s+")


class TripletexError(UpstreamError):
    """Tripletex answered with an error or not at all; `request_id` finds it in Tripletex's logs."""

    #: whether the same request may succeed later unchanged
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        request_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.request_id = request_id
        #: Tripletex's own sentence (tokens masked): advice for a human, never a decision
        self.detail = detail


class Unauthorized(TripletexError):
    """401: the session token is expired, deleted or unknown, or the username is not reachable."""


class Forbidden(TripletexError):
    """403: the token may not do this (add-on inactive, accountant token, no ledger access)."""


class TokenRejected(TripletexError):
    """422/18000 on a token field: the token cannot open a session."""


class EmployeeTokenRejected(TokenRejected):
    """The employee token is unknown, revoked, expired or issued for another application."""


class ConsumerTokenRejected(TokenRejected):
    """The consumer token (our integration's) is unknown, e.g. one from the other environment."""


class ResultSetTooLarge(TripletexError):
    """422/23000: the query matches more than 10,000 objects; narrow it (e.g. by month)."""


class InvalidRequest(TripletexError):
    """Any other 4xx: the request itself is wrong and will fail the same way again."""


class NotFound(TripletexError):
    """404: no such object."""


class UnexpectedResponse(TripletexError):
    """A complete, well-formed JSON answer that lacks what the client needs."""


class TransientUpstream(TripletexError):
    """5xx, a timeout, a reset or a truncated body: try again later."""

    retryable = True


class Unreachable(TransientUpstream):
    """Tripletex does not answer at all: its name does not resolve or no connection is accepted."""


class TripletexRateLimited(RateLimited, TripletexError):
    """429: wait `retry_after` seconds; pacing, not failure."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        code: int | None = None,
        request_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.code = code
        self.request_id = request_id
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """The X-Rate-Limit-* headers of one answer; `observed_at` is Unix time, `reset_s` from then."""

    limit: int
    remaining: int
    reset_s: float | None
    observed_at: float


def rate_limit_state(headers: Mapping[str, str], observed_at: float) -> RateLimitState | None:
    """The state in the headers, or None without Limit and Remaining (Reset is absent on 429)."""
    try:
        limit = int(headers["X-Rate-Limit-Limit"])
        remaining = int(headers["X-Rate-Limit-Remaining"])
    except (KeyError, ValueError):
        return None
    try:
        reset_s: float | None = float(headers["X-Rate-Limit-Reset"])
    except (KeyError, ValueError):
        reset_s = None
    return RateLimitState(limit, remaining, reset_s, observed_at)


def retry_after(last: RateLimitState | None, now: float) -> float:
    """Seconds to wait after a 429, which carries no Reset header (Tripletex issue #103).

    What is left of the last Reset this client saw for the same auth, plus one second for the
    header's whole-second rounding; if none was seen or that period is over, DEFAULT_RETRY_AFTER.
    """
    if last is None or last.reset_s is None:
        return DEFAULT_RETRY_AFTER
    left = last.observed_at + last.reset_s - now
    return left + 1.0 if left > 0 else DEFAULT_RETRY_AFTER


#: status -> (class, summary) for the statuses that decide alone
_BY_STATUS: dict[int, tuple[type[TripletexError], str]] = {
    401: (Unauthorized, "Tripletex refused the session token or the company username"),
    403: (Forbidden, "Tripletex denied this token access"),
    404: (NotFound, "Tripletex found no such object"),
}
#: validation field -> (class, summary) for 422/18000
_BY_FIELD: dict[str, tuple[type[TripletexError], str]] = {
    EMPLOYEE_TOKEN_FIELD: (EmployeeTokenRejected, "Tripletex rejected the employee token"),
    CONSUMER_TOKEN_FIELD: (ConsumerTokenRejected, "Tripletex rejected the consumer token"),
}


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole answer as received, and the call it answers (`where`, as errors name it)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    where: str


def error_for(
    reply: Reply, *, secrets: Iterable[str] = (), retry_after: float = 0.0
) -> TripletexError:
    """The error for a non-2xx reply; `secrets` are masked in it."""
    status, headers, where = reply.status, reply.headers, reply.where
    payload = api_error_body(reply.body)
    code = _as_int(payload.get("code"))
    request_id = request_id_of(headers, payload)
    detail = _detail(payload, secrets)
    label = f"{status}/{code}" if code is not None else str(status)
    suffix = f" ({label} on {where})" + (f": {detail}" if detail else "") + "."
    if status == 429:
        return TripletexRateLimited(
            f"Tripletex's rate limit is exhausted, retry in {retry_after:.0f} s{suffix}",
            retry_after=retry_after,
            code=code,
            request_id=request_id,
            detail=detail,
        )
    cls, summary = _classify(status, code, _validation_field(payload))
    return cls(summary + suffix, status=status, code=code, request_id=request_id, detail=detail)


def _classify(status: int, code: int | None, field: str | None) -> tuple[type[TripletexError], str]:
    """The class and summary for a status, an ApiError code and the first validation field."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status == 422 and code == CODE_VALIDATION and field in _BY_FIELD:
        return _BY_FIELD[field]
    if status == 422 and code == CODE_RESULT_SET_TOO_LARGE:
        return ResultSetTooLarge, "The query matches more than 10,000 objects"
    if 400 <= status < 500:
        return InvalidRequest, "Tripletex rejected the request"
    return TransientUpstream, "Tripletex failed to answer"


def api_error_body(body: bytes) -> dict[str, Any]:
    """The ApiError object in a body, or {} when it is empty, HTML or not an object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return payload if isinstance(payload, dict) else {}


def request_id_of(headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
    """The `x-tlx-request-id` header, else the body's `requestId` (a proxy's 502 has neither)."""
    value = headers.get("x-tlx-request-id") or payload.get("requestId")
    return value if isinstance(value, str) and value else None


def _validation_field(payload: Mapping[str, Any]) -> str | None:
    """`validationMessages[0].field`, if there is one."""
    messages = payload.get("validationMessages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        field = messages[0].get("field")
        return field if isinstance(field, str) else None
    return None


def _detail(payload: Mapping[str, Any], secrets: Iterable[str]) -> str | None:
    """Tripletex's most specific sentence: the first validation message, else `message`."""
    messages = payload.get("validationMessages")
    first = messages[0] if isinstance(messages, list) and messages else None
    candidates = (
        first.get("message") if isinstance(first, dict) else None,
        payload.get("message"),
        payload.get("developerMessage"),
    )
    text = next((c for c in candidates if isinstance(c, str) and c.strip()), None)
    if text is None:
        return None
    return sanitize(text, secrets)


def sanitize(text: str, secrets: Iterable[str]) -> str:
    """One short line without secrets (given, registered or token-shaped) or a final full stop."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = str(redact_secrets(None, "tripletex", {"detail": text})["detail"])
    text = _SPACE.sub(" ", text).strip()
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1].rstrip() + "…"
    return text.rstrip(".")


def _as_int(value: Any) -> int | None:
    """The value if it is a JSON integer (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
