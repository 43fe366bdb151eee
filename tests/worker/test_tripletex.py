"""The Tripletex client against a programmable fake of Tripletex served on 127.0.0.1.

aiohttp's advice (and the house style): a real server over localhost, not mocked requests. Only a
DNS failure needs help, and gets it from a resolver injected into a real connector.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
import aiohttp.abc
import pytest
from aiohttp import web
from aiohttp.abc import ResolveResult
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy, MultiMapping

from shared.errors import RateLimited
from shared.logging import redact_secrets
from worker.sync.plan import AccountRange
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import (
    CODE_RESULT_SET_TOO_LARGE,
    DEFAULT_RETRY_AFTER,
    ConsumerTokenRejected,
    EmployeeTokenRejected,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimitState,
    ResultSetTooLarge,
    TransientUpstream,
    TripletexError,
    Unauthorized,
    UnexpectedResponse,
    Unreachable,
)
from worker.tripletex.protocol import (
    POSTING_FIELDS,
    Auth,
    Company,
    PostingQuery,
    SessionToken,
    WhoAmI,
    fingerprint,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_token(token_id: int) -> str:
    """A token shaped like Tripletex's: base64 of {"tokenId": n, "token": "test-<uuid>"}."""
    inner = json.dumps({"tokenId": token_id, "token": f"test-{uuid.uuid4()}"})
    return base64.b64encode(inner.encode()).decode()


@dataclass(frozen=True)
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    raw_path: str
    query: MultiMapping[str]
    headers: CIMultiDictProxy[str]
    body: bytes


def answer(
    status: int = 200, body: Any = None, headers: Mapping[str, str] | None = None
) -> Handler:
    """A handler answering with a JSON value (or raw bytes) and headers."""
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        content_type = {"Content-Type": "application/json"} if raw else {}
        return web.Response(status=status, body=raw, headers={**content_type, **(headers or {})})

    return handler


def api_error(status: int, code: int | None, message: str, **extra: Any) -> dict[str, Any]:
    """An ApiError body as Tripletex sends it."""
    return {
        "status": status,
        "code": code,
        "message": message,
        "link": "https://tripletex.no/v2-docs/",
        "developerMessage": None,
        "validationMessages": None,
        "requestId": "req-in-body",
        **extra,
    }


@dataclass
class Fake:
    """Routes (method, decoded path) to handlers and records every request."""

    base_url: str = ""
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def on(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` (path under /v2, decoded) with the handler."""
        self.routes[(method, "/v2" + path)] = handler

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Record the request, then hand it to its route (404 ApiError if none)."""
        body = await request.read()
        raw_path = request.rel_url.raw_path
        self.seen.append(
            Seen(request.method, request.path, raw_path, request.query, request.headers, body)
        )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return await answer(404, api_error(404, 6000, "Object not found"))(request)
        return await handler(request)


@pytest.fixture
async def fake() -> AsyncIterator[Fake]:
    """A fake Tripletex served over localhost for one test."""
    fake = Fake()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.dispatch)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/v2"))
    yield fake
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """The ClientSession a worker would inject."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(http: aiohttp.ClientSession, fake: Fake) -> TripletexClient:
    """A client of the fake."""
    return TripletexClient(http, fake.base_url)


CONSUMER = make_token(1)
EMPLOYEE = make_token(2)
SESSION = make_token(3)
TOKENS = (CONSUMER, EMPLOYEE, SESSION)
AUTH = Auth(SESSION)
YEAR = (dt.date(2025, 1, 1), dt.date(2026, 1, 1))


def posting(n: int, amount: str = "100.00") -> str:
    """A posting as JSON text, so that the amount's digits are exactly as written."""
    return (
        f'{{"id": {n}, "version": 0, "date": "2025-03-{n % 28 + 1:02d}", "description": "p{n}",'
        f' "row": 1, "amount": {amount}, "amountCurrency": {amount}, "currency": {{"code": "NOK"}},'
        f' "account": {{"id": 9, "number": 1920, "name": "Bank"}},'
        f' "voucher": {{"id": {n}, "number": {n}, "year": 2025}}}}'
    )


def envelope(items: list[str], start: int, full_result_size: int) -> bytes:
    """A list envelope around JSON items."""
    return (
        f'{{"fullResultSize": {full_result_size}, "from": {start}, "count": {len(items)},'
        f' "versionDigest": null, "values": [{", ".join(items)}]}}'
    ).encode()


def paged(items: list[str], full_result_size: int) -> Handler:
    """A list endpoint over items honouring from/count, with a lying fullResultSize."""

    async def handler(request: web.Request) -> web.StreamResponse:
        start, count = int(request.query["from"]), int(request.query["count"])
        body = envelope(items[start : start + count], start, full_result_size)
        return web.Response(body=body, content_type="application/json")

    return handler


def basic_pair(seen: Seen) -> str:
    """The decoded `username:password` of a request's Basic header."""
    scheme, _, value = seen.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(value).decode()


def assert_no_token(exc: BaseException) -> None:
    """No token in the error's text, args or repr."""
    for text in (str(exc), repr(exc), repr(exc.args)):
        for token in TOKENS:
            assert token not in text


# --- sessions, auth and paths ---


async def test_create_session_sends_tokens_in_a_json_body(
    fake: Fake, client: TripletexClient
) -> None:
    value = {"id": 5, "token": SESSION, "expirationDate": "2026-01-02", "encryptionKey": "k"}
    fake.on("POST", "/token/session/:create", answer(201, {"value": value}))
    session = await client.create_session(CONSUMER, EMPLOYEE, dt.date(2026, 1, 2))
    assert session == SessionToken(SESSION, dt.date(2026, 1, 2))
    [seen] = fake.seen
    assert (seen.method, seen.raw_path, dict(seen.query)) == (
        "POST",
        "/v2/token/session/:create",
        {},
    )
    assert "Authorization" not in seen.headers
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body) == {
        "consumerToken": CONSUMER,
        "employeeToken": EMPLOYEE,
        "expirationDate": "2026-01-02",
    }
    assert SESSION not in repr(session)
    logged = redact_secrets(None, "info", {"event": f"{CONSUMER} {EMPLOYEE} {SESSION}"})
    assert not any(token in str(logged) for token in TOKENS)


@pytest.mark.parametrize("company_id", [0, 4711])
async def test_basic_auth_names_the_company(
    fake: Fake, client: TripletexClient, company_id: int
) -> None:
    fake.on(
        "GET", "/token/session/>whoAmI", answer(200, {"value": {"employeeId": 1, "companyId": 2}})
    )
    await client.who_am_i(Auth(SESSION, company_id))
    assert basic_pair(fake.seen[0]) == f"{company_id}:{SESSION}"
    assert SESSION not in repr(Auth(SESSION, company_id))


async def test_who_am_i_encodes_the_aggregate_prefix(fake: Fake, client: TripletexClient) -> None:
    value = {"employeeId": 11, "actualEmployeeId": 12, "companyId": 13, "language": "no"}
    fake.on("GET", "/token/session/>whoAmI", answer(200, {"value": value}))
    assert await client.who_am_i(AUTH) == WhoAmI(11, 12, 13, "no")
    assert fake.seen[0].raw_path == "/v2/token/session/%3EwhoAmI"


async def test_delete_session_authenticates_and_quotes_the_token(
    fake: Fake, client: TripletexClient
) -> None:
    fake.on("DELETE", f"/token/session/{SESSION}", answer(204))
    await client.delete_session(AUTH)
    [seen] = fake.seen
    assert seen.raw_path == "/v2/token/session/" + quote(SESSION, safe="")
    assert basic_pair(seen) == f"0:{SESSION}"


async def test_delete_session_error_names_only_the_template(client: TripletexClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.delete_session(AUTH)
    assert "DELETE /token/session/{token}" in str(caught.value)
    assert_no_token(caught.value)


# --- companies and years ---


async def test_company(fake: Fake, client: TripletexClient) -> None:
    value = {"id": 7, "name": "Acme AS", "organizationNumber": "999888777", "type": "AS"}
    fake.on("GET", "/company/7", answer(200, {"value": value}))
    assert await client.company(AUTH, 7) == Company(7, "Acme AS", "999888777", None)


async def test_companies_with_login_access_pages_until_a_short_page(
    fake: Fake, client: TripletexClient
) -> None:
    clients = [
        json.dumps(
            {"id": n, "name": f"C{n}", "organizationNumber": None, "customerCompanyId": n + 100}
        )
        for n in range(5)
    ]
    fake.on("GET", "/company/>withLoginAccess", paged(clients, full_result_size=2))
    companies = await client.companies_with_login_access(Auth(SESSION), page_size=2)
    assert companies == [Company(n, f"C{n}", None, n + 100) for n in range(5)]
    assert [s.query["from"] for s in fake.seen] == ["0", "2", "4"]
    assert fake.seen[0].raw_path == "/v2/company/%3EwithLoginAccess"


async def test_annual_account_years(fake: Fake, client: TripletexClient) -> None:
    years = [json.dumps({"id": y, "year": y}) for y in (2024, 2022, 2023)]
    fake.on("GET", "/ledger/annualAccount", paged(years, full_result_size=3))
    assert await client.annual_account_years(AUTH, 2020, 2025) == [2022, 2023, 2024]
    assert (fake.seen[0].query["yearFrom"], fake.seen[0].query["yearTo"]) == ("2020", "2025")


# --- postings ---


@pytest.mark.parametrize(("total", "pages"), [(25, 3), (20, 3), (0, 1), (9, 1)])
async def test_postings_are_paged_until_a_short_page_whatever_full_result_size_says(
    fake: Fake, client: TripletexClient, total: int, pages: int
) -> None:
    fake.on("GET", "/ledger/posting", paged([posting(n) for n in range(total)], full_result_size=3))
    got = [page async for page in client.iter_raw_postings(AUTH, *YEAR, page_size=10)]
    assert sum(page.count for page in got) == total
    assert len(got) == pages
    assert [s.query["from"] for s in fake.seen] == [str(10 * i) for i in range(pages)]
    query = fake.seen[0].query
    assert (query["dateFrom"], query["dateTo"], query["count"]) == (
        "2025-01-01",
        "2026-01-01",
        "10",
    )
    assert query["fields"] == POSTING_FIELDS


async def test_page_size_is_capped_at_ten_thousand(fake: Fake, client: TripletexClient) -> None:
    fake.on("GET", "/ledger/posting", paged([posting(1)], full_result_size=1))
    [page] = [page async for page in client.iter_raw_postings(AUTH, *YEAR, page_size=50_000)]
    assert fake.seen[0].query["count"] == "10000"
    assert page.requested == 10_000


async def test_every_posting_page_asks_for_a_fixed_order(
    fake: Fake, client: TripletexClient
) -> None:
    fake.on("GET", "/ledger/posting", paged([posting(n) for n in range(25)], full_result_size=25))
    _ = [page async for page in client.iter_raw_postings(AUTH, *YEAR, page_size=10)]
    assert [s.query.get("sorting") for s in fake.seen] == ["id", "id", "id"]
    assert all("accountNumberFrom" not in s.query for s in fake.seen)


async def test_a_server_that_answers_fewer_than_asked_is_paged_on_while_it_says_more_remain(
    fake: Fake, client: TripletexClient
) -> None:
    items = [posting(n) for n in range(23)]

    async def clamped(request: web.Request) -> web.StreamResponse:
        start = int(request.query["from"])
        shown = items[start : start + 4]  # a smaller maximum page than the client asked for
        more = start + len(shown) + (1 if start + len(shown) < len(items) else 0)
        return web.Response(body=envelope(shown, start, more), content_type="application/json")

    fake.on("GET", "/ledger/posting", clamped)
    pages = [page async for page in client.iter_raw_postings(AUTH, *YEAR, page_size=10)]
    assert sum(page.count for page in pages) == 23
    assert [s.query["from"] for s in fake.seen] == [str(n) for n in range(0, 24, 4)]


async def test_a_sorting_the_api_refuses_is_dropped_for_that_path_once(
    fake: Fake, client: TripletexClient
) -> None:
    async def picky(request: web.Request) -> web.StreamResponse:
        if "sorting" in request.query:
            body = api_error(422, 17000, "Illegal sorting field.")
            return web.json_response(body, status=422)
        return web.Response(body=envelope([posting(1)], 0, 1), content_type="application/json")

    fake.on("GET", "/ledger/posting", picky)
    for _ in range(2):
        pages = [page async for page in client.iter_raw_postings(AUTH, *YEAR)]
        assert sum(page.count for page in pages) == 1
    assert [s.query.get("sorting") for s in fake.seen] == ["id", None, None]


async def test_an_account_range_is_sent_as_from_and_exclusive_to(
    fake: Fake, client: TripletexClient
) -> None:
    fake.on("GET", "/ledger/posting", paged([], full_result_size=0))
    _ = [p async for p in client.iter_raw_postings(AUTH, *YEAR, accounts=AccountRange(3000, 4000))]
    _ = [p async for p in client.iter_raw_postings(AUTH, *YEAR, accounts=AccountRange(None, 2000))]
    _ = [p async for p in client.iter_raw_postings(AUTH, *YEAR, accounts=AccountRange(10000))]
    bounds = [(s.query.get("accountNumberFrom"), s.query.get("accountNumberTo")) for s in fake.seen]
    assert bounds == [("3000", "4000"), (None, "2000"), ("10000", None)]


async def test_a_range_over_the_cap_costs_one_request(fake: Fake, client: TripletexClient) -> None:
    body = api_error(
        422, CODE_RESULT_SET_TOO_LARGE, "Result set too large. Limit of 10.000 reached."
    )
    fake.on("GET", "/ledger/posting", answer(422, body))
    with pytest.raises(ResultSetTooLarge):
        _ = [page async for page in client.iter_raw_postings(AUTH, *YEAR)]
    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    ("values", "expected"), [([], None), (["2013-04-02"], dt.date(2013, 4, 2))]
)
async def test_first_posting_date(
    fake: Fake, client: TripletexClient, values: list[str], expected: dt.date | None
) -> None:
    items = [json.dumps({"id": 7, "date": day}) for day in values]
    fake.on("GET", "/ledger/posting", answer(200, envelope(items, 0, len(items))))
    assert (
        await client.first_posting_date(AUTH, dt.date(2000, 1, 1), dt.date(2020, 1, 1)) == expected
    )
    query = fake.seen[0].query
    assert (query["count"], query["sorting"], query["dateTo"]) == ("1", "date", "2020-01-01")


async def test_ledger_sums_pages_and_adds_exactly(fake: Fake, client: TripletexClient) -> None:
    rows = [
        json.dumps({"account": {"number": 3000 + n % 1200}, "sumAmount": 0}) for n in range(1500)
    ]
    rows[0] = '{"account": {"number": 3000}, "sumAmount": 0.1}'
    rows[1200] = '{"account": {"number": 3000}, "sumAmount": 0.2}'
    rows[1] = '{"account": {"number": 3001}, "sumAmount": -12345678901.23}'
    fake.on("GET", "/ledger", paged(rows, full_result_size=1))
    sums = await client.ledger_sums(AUTH, *YEAR)
    assert (sums["3000"], sums["3001"], len(sums)) == (
        Decimal("0.3"),
        Decimal("-12345678901.23"),
        1200,
    )
    assert [s.query["from"] for s in fake.seen] == ["0"]  # one page of up to 10,000 accounts
    assert fake.seen[0].query["dateTo"] == "2026-01-01"


@pytest.mark.parametrize(
    ("status", "code"), [(200, None), (422, CODE_RESULT_SET_TOO_LARGE)], ids=["ok", "too-large"]
)
async def test_probe_ledger_access_passes(
    fake: Fake, client: TripletexClient, status: int, code: int | None
) -> None:
    body = envelope([], 0, 0) if status == 200 else api_error(status, code, "Result set too large.")
    fake.on("GET", "/ledger/posting", answer(status, body))
    await client.probe_ledger_access(AUTH, dt.date(2025, 6, 1))
    query = fake.seen[0].query
    assert (query["dateFrom"], query["dateTo"], query["count"]) == ("2025-06-01", "2025-06-02", "1")


async def test_probe_ledger_access_forbidden(fake: Fake, client: TripletexClient) -> None:
    message = "You do not have permission to access this feature."
    fake.on("GET", "/ledger/posting", answer(403, api_error(403, 9000, message)))
    with pytest.raises(Forbidden) as caught:
        await client.probe_ledger_access(AUTH)
    assert caught.value.detail == message.rstrip(".")


# --- error mapping: status, code and field decide; wording never does ---

ERRORS = [
    (401, 3000, None, Unauthorized),
    (403, 9000, None, Forbidden),
    (404, 6000, None, NotFound),
    (422, 18000, "arg:employeeToken", EmployeeTokenRejected),
    (422, 18000, "arg:consumerToken", ConsumerTokenRejected),
    (422, 18000, "dateFrom", InvalidRequest),
    (422, 23000, None, ResultSetTooLarge),
    (422, 17000, None, InvalidRequest),
    (400, 4000, None, InvalidRequest),
    (409, 8000, None, InvalidRequest),
    (500, 1000, None, TransientUpstream),
    (503, None, None, TransientUpstream),
]


@pytest.mark.parametrize("case", ERRORS, ids=lambda case: "-".join(map(str, case[:3])))
async def test_error_mapping(
    fake: Fake,
    client: TripletexClient,
    case: tuple[int, int | None, str | None, type[TripletexError]],
) -> None:
    status, code, field, expected = case
    sentence = f"Token {EMPLOYEE} and {SESSION} are bad"  # a hostile upstream echoing tokens
    messages = [{"field": field, "message": sentence, "path": field, "rootId": None}]
    body = api_error(
        status, code, "Validering feilet.", validationMessages=messages if field else None
    )
    headers = {"x-tlx-request-id": "req-in-header"}
    fake.on("POST", "/token/session/:create", answer(status, body, headers))
    with pytest.raises(TripletexError) as caught:
        await client.create_session(CONSUMER, EMPLOYEE, dt.date(2026, 1, 2))
    error = caught.value
    assert type(error) is expected
    assert (error.status, error.code, error.request_id) == (status, code, "req-in-header")
    assert error.retryable is (status >= 500)
    assert "POST /token/session/:create" in str(error)
    assert str(error).endswith(".")
    assert_no_token(error)
    if field:
        assert error.detail == "Token *** and *** are bad"


async def test_the_wording_does_not_decide(fake: Fake, client: TripletexClient) -> None:
    body = api_error(403, 9000, "The employee token is invalid or does not exist.")
    fake.on("GET", "/token/session/>whoAmI", answer(403, body))
    with pytest.raises(Forbidden) as caught:
        await client.who_am_i(AUTH)
    assert caught.value.request_id == "req-in-body"


async def test_5xx_with_an_html_body(fake: Fake, client: TripletexClient) -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    fake.on("GET", "/token/session/>whoAmI", answer(502, html, {"Content-Type": "text/html"}))
    with pytest.raises(TransientUpstream) as caught:
        await client.who_am_i(AUTH)
    error = caught.value
    assert (error.status, error.code, error.request_id, error.retryable) == (502, None, None, True)
    assert "<html>" not in str(error)


# --- rate limits ---


def limits(limit: int, remaining: int, reset: int | None) -> dict[str, str]:
    """X-Rate-Limit-* headers (without Reset when reset is None)."""
    headers = {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining)}
    return headers | ({"X-Rate-Limit-Reset": str(reset)} if reset is not None else {})


def rate_limited() -> Handler:
    """A 429 as Tripletex sends it: ApiError with code null and no Reset header."""
    return answer(429, api_error(429, None, "Too many requests"), limits(100, 0, None))


async def test_429_waits_for_the_last_reset_seen_for_that_auth(
    fake: Fake, client: TripletexClient
) -> None:
    who = {"value": {"employeeId": 1, "companyId": 2}}
    fake.on("GET", "/token/session/>whoAmI", answer(200, who, limits(100, 1, 30)))
    await client.who_am_i(AUTH)
    fake.on("GET", "/token/session/>whoAmI", rate_limited())
    with pytest.raises(RateLimited) as caught:
        await client.who_am_i(AUTH)
    assert isinstance(caught.value, TripletexError)
    assert 29 <= caught.value.retry_after <= 31
    assert (caught.value.status, caught.value.request_id) == (429, "req-in-body")
    with pytest.raises(RateLimited) as other:
        await client.who_am_i(Auth(make_token(4)))
    assert other.value.retry_after == DEFAULT_RETRY_AFTER


async def test_429_without_any_reset_seen_waits_the_default(
    fake: Fake, client: TripletexClient
) -> None:
    fake.on("GET", "/ledger/posting", rate_limited())
    with pytest.raises(RateLimited) as caught:
        await client.raw_posting_page(AUTH, PostingQuery(*YEAR), start=0, count=10)
    assert caught.value.retry_after == DEFAULT_RETRY_AFTER
    assert_no_token(caught.value)


@pytest.mark.parametrize("is_async", [False, True])
async def test_hooks_see_every_answers_limits_under_a_fingerprint(
    fake: Fake, http: aiohttp.ClientSession, is_async: bool
) -> None:
    states: list[tuple[str, RateLimitState]] = []
    paced: list[str] = []

    def record(key: str, state: RateLimitState) -> None:
        states.append((key, state))

    async def record_async(key: str, state: RateLimitState) -> None:
        record(key, state)

    async def pace(key: str) -> None:
        paced.append(key)

    client = TripletexClient(
        http, fake.base_url, on_rate_limit=record_async if is_async else record, before_request=pace
    )
    session = {"value": {"token": SESSION, "expirationDate": "2026-01-02"}}
    fake.on("POST", "/token/session/:create", answer(201, session, limits(1200, 1199, 58)))
    fake.on("GET", "/token/session/>whoAmI", rate_limited())
    await client.create_session(CONSUMER, EMPLOYEE, dt.date(2026, 1, 2))
    with pytest.raises(RateLimited):
        await client.who_am_i(AUTH)
    assert paced == [fingerprint(EMPLOYEE), fingerprint(SESSION)]
    assert [key for key, _ in states] == paced
    (_, first), (_, second) = states
    assert (first.limit, first.remaining, first.reset_s) == (1200, 1199, 58.0)
    assert (second.limit, second.remaining, second.reset_s) == (100, 0, None)
    assert abs(first.observed_at - time.time()) < 5
    assert all(len(key) == 12 and key not in TOKENS for key in paced)


# --- broken exchanges ---


async def test_truncated_json_on_a_200_is_transient(fake: Fake, client: TripletexClient) -> None:
    body = envelope([posting(1)], 0, 1)[:-20]
    fake.on("GET", "/ledger/posting", answer(200, body, {"x-tlx-request-id": "r1"}))
    with pytest.raises(TransientUpstream) as caught:
        await client.raw_posting_page(AUTH, PostingQuery(*YEAR), start=0, count=10)
    assert (caught.value.status, caught.value.request_id) == (200, "r1")


async def test_a_wrong_shape_is_not_retryable(fake: Fake, client: TripletexClient) -> None:
    fake.on("GET", "/token/session/>whoAmI", answer(200, {"value": {"companyId": "two"}}))
    with pytest.raises(UnexpectedResponse) as caught:
        await client.who_am_i(AUTH)
    assert not caught.value.retryable


async def test_a_connection_reset_mid_body_is_transient(
    fake: Fake, client: TripletexClient
) -> None:
    async def reset(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "5000"})
        response.content_type = "application/json"
        await response.prepare(request)
        await response.write(b'{"fullResultSize": 1, "values": [{"id": 1, ')
        assert request.transport is not None
        request.transport.abort()
        return response

    fake.on("GET", "/ledger/posting", reset)
    with pytest.raises(TransientUpstream) as caught:
        await client.raw_posting_page(AUTH, PostingQuery(*YEAR), start=0, count=10)
    assert caught.value.retryable


async def test_a_slow_answer_times_out_as_transient(
    fake: Fake, http: aiohttp.ClientSession
) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.5)
        return web.Response(status=204)

    fake.on("GET", "/token/session/>whoAmI", slow)
    client = TripletexClient(http, fake.base_url, timeout=aiohttp.ClientTimeout(total=0.1))
    with pytest.raises(TransientUpstream) as caught:
        await client.who_am_i(AUTH)
    assert not isinstance(caught.value, Unreachable)


async def test_connection_refused_is_unreachable(http: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TripletexClient(http, f"http://127.0.0.1:{port}/v2")
    with pytest.raises(Unreachable) as caught:
        await client.create_session(CONSUMER, EMPLOYEE, dt.date(2026, 1, 2))
    assert caught.value.retryable
    assert "does not answer" in str(caught.value)
    assert_no_token(caught.value)


class _NoSuchName(aiohttp.abc.AbstractResolver):
    """A resolver that knows no names: a DNS failure without touching the network."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")

    async def close(self) -> None:
        return None


async def test_a_dns_failure_is_unreachable() -> None:
    connector = aiohttp.TCPConnector(resolver=_NoSuchName())
    async with aiohttp.ClientSession(connector=connector) as http:
        client = TripletexClient(http, "https://tripletex.no/v2")
        with pytest.raises(Unreachable) as caught:
            await client.who_am_i(AUTH)
    assert "tripletex.no does not resolve" in str(caught.value)
    assert_no_token(caught.value)
