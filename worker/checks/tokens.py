"""The local token check: what a token's text alone tells, before any call.

Tripletex tokens are base64 (with `=` padding) of `{"tokenId": <int>, "token": "<uuid>"}`; a
test-environment token's secret reads `test-<uuid>`. A token that is not of that shape was
mistyped, cut short or pasted with extra characters; a test token cannot work in production.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import orjson
from yarl import URL

#: the production API's host (`https://tripletex.no/v2`)
PRODUCTION_HOST = "tripletex.no"
#: what marks a test-environment token's secret
TEST_PREFIX = "test-"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TokenShape:
    """What a token's text tells: a problem (a clause after "the token …"), and its environment."""

    problem: str | None = None
    test_environment: bool = False

    @property
    def well_formed(self) -> bool:
        """Whether the text has the shape of a Tripletex token."""
        return self.problem is None


def inspect_token(token: str) -> TokenShape:
    """The shape of a token's text; never echoes any of it."""
    if not token.strip():
        return TokenShape("is empty")
    if any(ch.isspace() for ch in token):
        return TokenShape("has spaces or line breaks in it (it was pasted with extra characters)")
    raw = _base64(token)
    if raw is None:
        return TokenShape("is not valid base64 (it is mistyped or cut short)")
    return _inspect_payload(_json(raw))


def _inspect_payload(payload: Any) -> TokenShape:
    """The shape of a token's decoded JSON."""
    if not isinstance(payload, dict):
        return TokenShape("does not decode to a Tripletex token (it is mistyped or cut short)")
    token_id, secret = payload.get("tokenId"), payload.get("token")
    if not isinstance(token_id, int) or isinstance(token_id, bool) or not isinstance(secret, str):
        return TokenShape("lacks the id and secret a Tripletex token holds (it is mistyped)")
    test = secret.startswith(TEST_PREFIX)
    if not _UUID.fullmatch(secret.removeprefix(TEST_PREFIX)):
        return TokenShape("holds a malformed secret (it is mistyped)", test)
    return TokenShape(None, test)


def _base64(token: str) -> bytes | None:
    """The bytes a base64 text stands for; None when it is not strict, padded base64."""
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None


def _json(raw: bytes) -> Any:
    """The JSON value in some bytes; None when they are not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def is_production(base_url: str) -> bool:
    """Whether the API base is Tripletex's production host."""
    return URL(base_url).host == PRODUCTION_HOST
