"""The client's pure half: exact amounts, paths, credentials, rate-limit state and error mapping."""

from __future__ import annotations

import base64
import datetime as dt
import random
from decimal import Decimal

import pytest
from multidict import CIMultiDict

from shared.errors import RateLimited, UpstreamError
from shared.logging import redact_secrets
from worker.tripletex.errors import (
    DEFAULT_RETRY_AFTER,
    InvalidRequest,
    RateLimitState,
    Reply,
    TransientUpstream,
    TripletexError,
    TripletexRateLimited,
    error_for,
    rate_limit_state,
    retry_after,
)
from worker.tripletex.protocol import (
    Auth,
    SessionToken,
    api_path,
    decode_json,
    envelope_count,
    fingerprint,
    last_page,
    to_decimal,
)

TOKEN = "eyJ0b2tlbklkIjo5LCJ0b2tlbiI6InRlc3QtYWJjIn0="

# --- amounts: exact Decimals, never through a lossy float ---


@pytest.mark.parametrize(
    "text",
    [
        "12345678901.23",
        "0.1",
        "0.2",
        "0.3",
        "-0.01",
        "-12345678901.23",
        "9999999999999.99",  # 15 digits: the fast path's limit
        "-1234567890.12345",
        "100",
        "-0",
        "1e2",
        "2.5E-3",
    ],
)
def test_short_amounts_take_the_orjson_path_and_stay_exact(text: str) -> None:
    value = decode_json(f'{{"amount": {text}}}'.encode())["amount"]
    assert not isinstance(value, Decimal)  # orjson decoded it
    assert to_decimal(value) == Decimal(text)


@pytest.mark.parametrize(
    "text",
    [
        "1234567890123456.78",
        "-12345678901234.56",  # 16 digits
        "0.30000000000000004",  # what 0.1 + 0.2 is as a float
        "0.1000000000000000055511151231257827",  # the float nearest 0.1, written out
        "12345678901234567890.12",
        "1234567890123456e-2",  # 16 digits without a dot
    ],
)
def test_long_amounts_take_the_exact_path(text: str) -> None:
    value = decode_json(f'{{"values": [{{"amount": {text}}}, 1]}}'.encode())["values"][0]["amount"]
    assert isinstance(value, Decimal)
    assert to_decimal(value) == Decimal(text)


def test_digit_runs_inside_strings_only_cost_speed() -> None:
    body = b'{"description": "KID: 12345678901234567", "amount": 0.1}'
    payload = decode_json(body)
    assert payload["description"] == "KID: 12345678901234567"
    assert to_decimal(payload["amount"]) == Decimal("0.1")


def test_every_amount_of_up_to_15_digits_survives_orjson() -> None:
    rng = random.Random(20260101)
    texts = []
    for _ in range(20_000):
        digits = rng.randint(1, 15)
        cents = rng.randrange(10**digits)
        sign = "-" if rng.random() < 0.5 else ""
        texts.append(f"{sign}{cents // 100}.{cents % 100:02d}")
    values = decode_json(f"[{','.join(texts)}]".encode())
    assert all(isinstance(v, float) for v in values)
    assert [to_decimal(v) for v in values] == [Decimal(t) for t in texts]


def test_sums_of_decoded_amounts_are_exact() -> None:
    values = decode_json(b"[0.1, 0.2, -0.3, 12345678901.23, -12345678901.22]")
    assert sum(map(to_decimal, values), Decimal(0)) == Decimal("0.01")


@pytest.mark.parametrize("value", ["1.5", None, True, [1]])
def test_to_decimal_refuses_what_is_not_a_number(value: object) -> None:
    with pytest.raises(TypeError):
        to_decimal(value)


# --- paths and credentials ---


def test_paths_encode_aggregates_actions_and_tokens() -> None:
    assert api_path("token", "session", ">whoAmI") == "/token/session/%3EwhoAmI"
    assert api_path("token", "session", ":create") == "/token/session/:create"
    assert api_path("token", "session", "a/b+c=") == "/token/session/a%2Fb%2Bc%3D"


@pytest.mark.parametrize("company_id", [0, 123456])
def test_auth_header_and_key(company_id: int) -> None:
    auth = Auth(TOKEN, company_id)
    scheme, value = auth.header.split(" ")
    assert (scheme, base64.b64decode(value).decode()) == ("Basic", f"{company_id}:{TOKEN}")
    assert auth.key == fingerprint(TOKEN)
    assert len(auth.key) == 12
    assert TOKEN not in repr(auth)
    assert TOKEN not in str(redact_secrets(None, "info", {"event": auth.header}))


def test_a_session_token_acts_in_a_company() -> None:
    session = SessionToken(TOKEN, dt.date(2026, 1, 2))
    assert session.auth(42) == Auth(TOKEN, 42)
    assert TOKEN not in repr(session)


# --- rate limits ---


def test_rate_limit_state_from_headers() -> None:
    headers = CIMultiDict(
        {"x-rate-limit-limit": "1200", "X-Rate-Limit-Remaining": "7", "X-Rate-Limit-Reset": "42"}
    )
    assert rate_limit_state(headers, 1000.0) == RateLimitState(1200, 7, 42.0, 1000.0)
    del headers["X-Rate-Limit-Reset"]
    assert rate_limit_state(headers, 1000.0) == RateLimitState(1200, 7, None, 1000.0)
    assert rate_limit_state(CIMultiDict({"X-Rate-Limit-Limit": "x"}), 1000.0) is None


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (None, 1000.0, DEFAULT_RETRY_AFTER),
        (RateLimitState(100, 3, None, 990.0), 1000.0, DEFAULT_RETRY_AFTER),
        (RateLimitState(100, 3, 30.0, 990.0), 1000.0, 21.0),
        (RateLimitState(100, 3, 5.0, 990.0), 1000.0, DEFAULT_RETRY_AFTER),
    ],
    ids=["never-seen", "no-reset", "period-running", "period-over"],
)
def test_retry_after(last: RateLimitState | None, now: float, expected: float) -> None:
    assert retry_after(last, now) == expected


# --- error mapping edge cases (the full table runs against the fake server) ---


def test_a_rate_limited_error_is_both_kinds() -> None:
    error = error_for(Reply(429, {}, b'{"status": 429, "code": null}', "GET /x"), retry_after=12.5)
    assert isinstance(error, TripletexRateLimited)
    assert isinstance(error, RateLimited | TripletexError | UpstreamError)
    assert (error.status, error.code, error.retry_after, error.retryable) == (429, None, 12.5, True)
    assert "retry in 12 s" in str(error)


@pytest.mark.parametrize("body", [b"", b"[1, 2]", b'"oops"', b"{not json"])
def test_bodies_without_an_api_error(body: bytes) -> None:
    error = error_for(Reply(500, {}, body, "GET /x"))
    assert (type(error), error.code, error.request_id, error.detail) == (
        TransientUpstream,
        None,
        None,
        None,
    )


def test_a_validation_error_without_messages_is_an_invalid_request() -> None:
    body = b'{"status": 422, "code": 18000, "message": "x", "validationMessages": []}'
    assert type(error_for(Reply(422, {}, body, "GET /x"))) is InvalidRequest


def test_details_are_one_short_line_without_secrets() -> None:
    message = "line one\n  token=" + "s3cr3t-value-xyz " + "word " * 100
    body = b'{"status": 400, "code": 4000, "message": "%s"}' % message.encode().replace(
        b"\n", b"\\n"
    )
    error = error_for(Reply(400, {}, body, "GET /x"), secrets=["never-here"])
    assert error.detail is not None
    assert "\n" not in str(error)
    assert "s3cr3t-value-xyz" not in str(error)
    assert len(error.detail) <= 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"fullResultSize":2,"from":0,"count":2,"versionDigest":null,"values":[{},{}]}', 2),
        (b'  {"values":[{"id":1}],"count" : 1}\n', 1),  # any key order, any whitespace
        (b'{"count":1,"values":[{"description":"say \\"count\\": 7"}]}', 1),  # escaped quotes
    ],
)
def test_the_envelope_count_is_read_without_decoding(body: bytes, expected: int) -> None:
    assert envelope_count(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"fullResultSize":2,"from":0,"count":2,"values":[{"id":1},{"i',  # cut short
        b'{"count":1,"values":[{"count":3}]}',  # the key twice: unsure which is the envelope's
        b'{"fullResultSize":0,"values":[]}',  # no count at all
        b'[{"count":1,"values":[]}]',  # not an object
    ],
)
def test_an_unsure_envelope_count_falls_back_to_decoding(body: bytes) -> None:
    assert envelope_count(body) is None


@pytest.mark.parametrize(
    ("start", "requested", "count", "full", "last"),
    [
        (0, 10, 10, None, False),  # a full page: ask on
        (0, 10, 7, None, True),  # a short page ends it
        (0, 10, 7, 8, False),  # short, but the API says more remain: ask on
        (0, 10, 7, 7, True),
        (20, 10, 7, 3, True),  # an inexact (too small) size never keeps paging going
        (0, 10, 10, 3, False),  # nor ends it
        (30, 10, 0, 99, True),  # an empty page always ends it
    ],
)
def test_when_paging_ends(
    start: int, requested: int, count: int, full: int | None, last: bool
) -> None:
    assert last_page(start, requested, count, full) is last
