"""Session tokens: creation rules for `:create`, lookup, deletion and expiry."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

from sandbox import errors
from sandbox.scenario import Scenario
from sandbox.tokens import EmployeeToken, TokenKind, encode, seeded_uuid


@dataclass(frozen=True, slots=True)
class Session:
    """A session token and what it stands for."""

    id: int
    value: str
    employee: EmployeeToken
    expiration: date
    created: float
    encryption_key: str


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """What a `:create` asks for, as sent (None where a parameter is missing)."""

    consumer: str | None
    employee: str | None
    expiration: str | None


def check_create(
    scenario: Scenario, request: SessionRequest, today: date, *, revoked: Collection[int] = ()
) -> tuple[EmployeeToken, date]:
    """Validate a `:create` request; raise the ApiError section 12 prescribes.

    `revoked` holds the ids of employee tokens revoked at run time: they answer like expired ones.
    """
    if request.consumer != scenario.consumer.value:
        raise errors.invalid("arg:consumerToken", errors.UNKNOWN_CONSUMER)
    token = scenario.token_by_value(request.employee or "")
    if token is None or token.kind is TokenKind.EXPIRED or token.id in revoked:
        raise errors.invalid("arg:employeeToken", errors.UNKNOWN_EMPLOYEE)
    if token.kind is TokenKind.NOT_SHARED:
        raise errors.invalid("arg:employeeToken", errors.UNSHARED_EMPLOYEE)
    if token.kind is TokenKind.INTEGRATIONS_OFF:
        raise errors.forbidden(errors.INTEGRATIONS_OFF)
    try:
        day = date.fromisoformat(request.expiration or "")
    except ValueError:
        raise errors.invalid("expirationDate", "Must be a date (yyyy-MM-dd).") from None
    if day <= today:
        raise errors.invalid("expirationDate", "The expiration date must be later than today.")
    return token, day


class Sessions:
    """Every session created since start; tokens are unpredictable (a random salt per start),
    keeping Tripletex's shape: base64 of `{"tokenId": id, "token": "<uuid>"}`."""

    def __init__(self, seed: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._seed = seed
        #: mixed into every token: a restarted sandbox never issues the same session tokens again
        self._salt = secrets.token_bytes(16).hex()
        self._clock = clock
        self._by_value: dict[str, Session] = {}
        self._count = 0
        #: every session token ever created, live or not (tests look for leaks of any)
        self.issued: list[str] = []

    def create(self, employee: EmployeeToken, expiration: date) -> Session:
        """A new session token for an employee token."""
        self._count += 1
        session_id = 10_000_000 + self._count
        value = encode(session_id, seeded_uuid(self._seed, self._salt, "session", self._count))
        key = seeded_uuid(self._seed, self._salt, "key", self._count).replace("-", "")
        session = Session(session_id, value, employee, expiration, self._clock(), key)
        self._by_value[value] = session
        self.issued.append(value)
        return session

    def get(self, value: str, ttl: float | None, today: date) -> Session | None:
        """A live session by token string (None when unknown, deleted or expired)."""
        session = self._by_value.get(value)
        if session is None or today >= session.expiration:
            return None
        if ttl is not None and self._clock() - session.created >= ttl:
            return None
        return session

    def delete(self, value: str) -> bool:
        """Delete a session token; False when there was none."""
        return self._by_value.pop(value, None) is not None

    def expire_token(self, token_id: int) -> int:
        """Expire every session of one employee token; returns how many there were."""
        gone = [v for v, s in self._by_value.items() if s.employee.id == token_id]
        for value in gone:
            del self._by_value[value]
        return len(gone)

    def expire_all(self) -> int:
        """Expire every session token; returns how many there were."""
        count = len(self._by_value)
        self._by_value.clear()
        return count
