"""Consumer and employee tokens: kinds, deterministic values and the base64-JSON token format."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

import orjson


class TokenKind(StrEnum):
    """What an employee token does when used (see section 12 of the API notes)."""

    GOOD = "good"
    ACCOUNTANT = "accountant"
    INTEGRATIONS_OFF = "integrations_off"
    NOT_SHARED = "not_shared"
    NO_LEDGER_ACCESS = "no_ledger_access"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ConsumerToken:
    """The integration's consumer token."""

    id: int
    value: str = ""
    name: str = "ledgersync"


@dataclass(frozen=True, slots=True)
class EmployeeToken:
    """An employee token: `company_id` owns it; an accountant's also reaches `clients`."""

    label: str
    kind: TokenKind
    id: int
    value: str
    company_id: int
    employee_id: int
    clients: tuple[int, ...] = ()

    @property
    def readable(self) -> tuple[int, ...]:
        """Companies whose ledger this token can read."""
        if self.kind is TokenKind.ACCOUNTANT:
            return self.clients
        return (self.company_id,) if self.kind is TokenKind.GOOD else ()


def seeded_uuid(seed: int, *parts: object) -> str:
    """A version-4 style UUID derived from the seed and some labels."""
    key = ":".join(map(str, (seed, *parts))).encode()
    return str(uuid.UUID(bytes=hashlib.shake_128(key).digest(16), version=4))


def encode(token_id: int, secret: str) -> str:
    """A token string: base64 of `{"tokenId": id, "token": "uuid"}` with `=` padding."""
    payload = orjson.dumps({"tokenId": token_id, "token": secret})
    return base64.b64encode(payload).decode()


def decode(value: str) -> tuple[int, str] | None:
    """(tokenId, token) of a token string, or None when it is not one."""
    try:
        data = orjson.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("tokenId"), int):
        return None
    secret = data.get("token")
    return (data["tokenId"], secret) if isinstance(secret, str) else None


def consumer_token(seed: int) -> ConsumerToken:
    """The scenario's consumer token."""
    token_id = 7_000 + seed % 1_000
    return ConsumerToken(token_id, encode(token_id, seeded_uuid(seed, "consumer")))


@dataclass(frozen=True, slots=True)
class TokenCase:
    """The troubleshooting case an employee token plays: its label, what it does when used, the
    company that owns it and, for an accountant's, the clients it reaches."""

    label: str
    kind: TokenKind
    company_id: int
    clients: tuple[int, ...] = ()


def employee_token(seed: int, number: int, case: TokenCase) -> EmployeeToken:
    """An employee token; `number` makes ids distinct within a scenario."""
    token_id = 40_000 + number
    value = encode(token_id, seeded_uuid(seed, "employee", case.label))
    return EmployeeToken(
        case.label, case.kind, token_id, value, case.company_id, 900 + number, case.clients
    )
