"""Tripletex API v2 client: pure helpers to build requests and read answers, a thin aiohttp layer.

The same code serves `https://tripletex.no/v2` and the sandbox's `http://127.0.0.1:PORT/v2`: only
the injected `base_url` differs. Tokens travel in JSON bodies and the Authorization header only
(`delete_session` is the exception the API imposes), and every token is registered with the log
redactor.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import inspect
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import aiohttp
import orjson
import structlog
from yarl import URL

from shared.logging import register_secret
from worker.planner import ALL_ACCOUNTS, RESULT_CAP, AccountRange
from worker.tripletex.errors import (
    CODE_SORTING,
    InvalidRequest,
    RateLimitState,
    ResultSetTooLarge,
    TransientUpstream,
    UnexpectedResponse,
    Unreachable,
    error_for,
    rate_limit_state,
    request_id_of,
    retry_after,
)

logger = structlog.get_logger(__name__)

#: per request: 10 s to connect, 60 s for the whole exchange
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)
#: the largest `count` Tripletex honours: it clamps above its result cap (the sandbox too, which
#: would end paging early)
MAX_PAGE = RESULT_CAP
#: page size for the short lists (companies, years, ledger sums): as large as a posting page, so
#: each is one request (they are far under the 10,000 cap), whatever order the API pages in
LIST_PAGE = MAX_PAGE
#: the fixed order every page of postings is asked in: offset paging over an order that is not
#: fixed can skip or repeat rows, and ids are unique and never reused
POSTING_SORTING = "id"
#: the posting fields an import needs
POSTING_FIELDS = (
    "id,version,date,description,row,amount,amountCurrency,currency(code),"
    "account(id,number,name),voucher(id,number,year)"
)
#: Tripletex's time zone: a session's `expirationDate` must be after today there
OSLO = ZoneInfo("Europe/Oslo")
#: byte maps that turn digits (and dots) into "0", so that a long run of them shows as zeros
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_DIGITS_AND_DOTS = bytes.maketrans(b"123456789.", b"0000000000")


def fingerprint(token: str) -> str:
    """A non-secret key for a token (12 hex digits of its SHA-256), for rate limiting and logs."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Auth:
    """A session token and the company to act in: 0 is the token's own, else a client's `id`."""

    session_token: str = field(repr=False)
    company_id: int = 0
    #: the rate-limit key; Tripletex counts per employee token, so pass that token's fingerprint
    limit_key: str | None = None

    def __post_init__(self) -> None:
        register_secret(self.session_token)

    @property
    def header(self) -> str:
        """The Authorization header: Basic base64("<company_id>:<session_token>")."""
        pair = f"{self.company_id}:{self.session_token}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    @property
    def key(self) -> str:
        """The rate-limit key: `limit_key` if given, else the session token's fingerprint."""
        return self.limit_key or fingerprint(self.session_token)


@dataclass(frozen=True, slots=True)
class SessionToken:
    """A session token and the date it stops working (treat it as invalid from that day on)."""

    token: str = field(repr=False)
    expires: dt.date

    def auth(self, company_id: int = 0, limit_key: str | None = None) -> Auth:
        """Credentials acting in the token's own company (0) or in a client company."""
        return Auth(self.token, company_id, limit_key)


@dataclass(frozen=True, slots=True)
class WhoAmI:
    """Whom a session acts as, and in which company."""

    employee_id: int
    actual_employee_id: int
    company_id: int
    language: str | None


@dataclass(frozen=True, slots=True)
class Company:
    """A company the token reaches; only withLoginAccess clients have a `customer_company_id`."""

    id: int
    name: str | None
    organization_number: str | None
    customer_company_id: int | None = None


def decode_json(body: bytes) -> Any:
    """Decode a body so that `to_decimal` is exact for every number in it.

    orjson reads every JSON number with a fraction as a float. A decimal of at most 15
    significant digits survives text -> float -> repr() unchanged (DBL_DIG is 15 and repr()
    gives the shortest text that reads back as the same float), so `to_decimal` recovers it
    exactly: with two decimals, every amount below 10^13. A number of 16 or more digits shows
    in the text as 16 digits in a row, or 17 characters from [0-9.] with its dot; a body with
    such a run (two C-speed scans, ~6 ms for a 3 MB page; runs inside strings only cost speed)
    is decoded by `json.loads(parse_float=Decimal)` instead, which is exact at any length.
    """
    if _has_long_number(body):
        return json.loads(body, parse_float=Decimal)
    return orjson.loads(body)


def _has_long_number(body: bytes) -> bool:
    """Whether the body may hold a number of 16 or more digits (never a false "no")."""
    return b"0" * 16 in body.translate(_DIGITS) or b"0" * 17 in body.translate(_DIGITS_AND_DOTS)


def to_decimal(value: Any) -> Decimal:
    """A number from `decode_json` as an exact Decimal (a float via its shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def api_path(*segments: str) -> str:
    """An encoded path under the base URL: each segment quoted, `:` kept literal, `>` as %3E.

    Tripletex runs on Jersey, which matches the *encoded* path against its templates: the action
    template `/token/session/:create` matches only a literal `:` (`%3Acreate` is read as the
    `{token}` path and refused), while `>` is not legal in a path and its templates hold `%3E`.
    """
    return "".join("/" + quote(segment, safe=":") for segment in segments)


def session_body(consumer_token: str, employee_token: str, expires: dt.date) -> dict[str, str]:
    """The JSON body of `POST /token/session/:create`."""
    return {
        "consumerToken": consumer_token,
        "employeeToken": employee_token,
        "expirationDate": expires.isoformat(),
    }


def period(date_from: dt.date, date_to: dt.date) -> dict[str, str]:
    """Query parameters for a date range; `date_to` is exclusive, as Tripletex reads it."""
    return {"dateFrom": date_from.isoformat(), "dateTo": date_to.isoformat()}


def posting_params(
    date_from: dt.date,
    date_to: dt.date,
    start: int,
    count: int,
    accounts: AccountRange = ALL_ACCOUNTS,
) -> dict[str, str]:
    """The query of one page of `/ledger/posting`: range, page, fixed order, fields, accounts.

    `accountNumberTo` is sent as the range's exclusive top: an API that reads it inclusively
    answers one account more, which the importer leaves out; one that reads it exclusively
    answers exactly the range. Either way nothing inside the range is missed.
    """
    params = {
        **period(date_from, date_to),
        "from": str(start),
        "count": str(max(1, min(count, MAX_PAGE))),
        "sorting": POSTING_SORTING,
        "fields": POSTING_FIELDS,
    }
    if accounts.low is not None:
        params["accountNumberFrom"] = str(accounts.low)
    if accounts.high is not None:
        params["accountNumberTo"] = str(accounts.high)
    return params


def oslo_today(now: dt.datetime | None = None) -> dt.date:
    """Today in Europe/Oslo, where Tripletex's session dates and midnights are reckoned."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(OSLO).date()


def _get(obj: Any, *keys: str) -> Any:
    """obj[keys[0]][keys[1]]…, or None where a step is missing or not an object."""
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _int(value: Any) -> int:
    """The value if it is a JSON integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _opt_int(value: Any) -> int | None:
    """Like `_int`, but None stays None."""
    return None if value is None else _int(value)


def _opt_str(value: Any) -> str | None:
    """The value if it is a string, None if null; anything else is malformed."""
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _date(value: Any) -> dt.date:
    """A YYYY-MM-DD string as a date."""
    if not isinstance(value, str):
        raise TypeError("expected a date string")
    return dt.date.fromisoformat(value)


def parse_session(payload: Any, requested: dt.date) -> SessionToken:
    """`{"value": SessionToken}` -> SessionToken, registering the token as a secret at once."""
    token = _get(payload, "value", "token")
    if not isinstance(token, str) or not token:
        raise TypeError("no session token in the answer")
    register_secret(token)
    expires = _get(payload, "value", "expirationDate")
    return SessionToken(token, requested if expires is None else _date(expires))


def parse_who_am_i(payload: Any) -> WhoAmI:
    """`{"value": LoggedInUserInfo}` -> WhoAmI (actualEmployeeId defaults to employeeId)."""
    value = _get(payload, "value")
    employee = _int(_get(value, "employeeId"))
    actual = _opt_int(_get(value, "actualEmployeeId"))
    language = _opt_str(_get(value, "language"))
    return WhoAmI(
        employee, employee if actual is None else actual, _int(_get(value, "companyId")), language
    )


def parse_company(item: Any) -> Company:
    """A Company or Client object -> Company."""
    return Company(
        id=_int(_get(item, "id")),
        name=_opt_str(_get(item, "name")),
        organization_number=_opt_str(_get(item, "organizationNumber")),
        customer_company_id=_opt_int(_get(item, "customerCompanyId")),
    )


def values_of(payload: Any) -> list[Any]:
    """The `values` list of a list envelope."""
    values = _get(payload, "values")
    if not isinstance(values, list):
        raise TypeError("no values list in the answer")
    return values


#: the list envelope's `count` key: quotes inside JSON strings are escaped, so this matches a key
_COUNT_KEY = re.compile(rb'"count"\s*:\s*(\d+)')
_FULL_KEY = re.compile(rb'"fullResultSize"\s*:\s*(\d+)')


def envelope_count(body: bytes) -> int | None:
    """The `count` of a list envelope read without decoding its values, or None when unsure.

    Decoding a 10,000-posting page only to count it costs the importer more CPU than anything
    else it does; Postgres decodes the page anyway (and refuses a broken one). Unsure — the body
    is not one object, or `count` appears other than once — means: decode it the slow way.
    """
    whole = body.strip()
    if not (whole.startswith(b"{") and whole.endswith(b"}") and b'"values"' in whole):
        return None
    found = _COUNT_KEY.findall(whole)
    return int(found[0]) if len(found) == 1 else None


def envelope_full_result_size(body: bytes) -> int | None:
    """The envelope's `fullResultSize` read without decoding it (None when absent or unsure)."""
    found = _FULL_KEY.findall(body)
    return int(found[0]) if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class RawPage:
    """One page of `/ledger/posting` as received, with how many postings it holds."""

    start: int
    requested: int
    count: int
    raw: bytes = field(repr=False)
    #: Tripletex's `fullResultSize`, read only to go on (see `is_last`), never to stop
    full_result_size: int | None = None

    @property
    def is_last(self) -> bool:
        """Whether no page follows (see `last_page`)."""
        return last_page(self.start, self.requested, self.count, self.full_result_size)


def last_page(start: int, requested: int, count: int, full_result_size: int | None) -> bool:
    """Whether no page follows one of `count` values asked for `requested` from `start`.

    A page shorter than asked for is the last — unless `fullResultSize` says more remain: an API
    that silently answered fewer than `count` asked for (a smaller maximum page than we assume)
    would otherwise end the paging early. `fullResultSize` never ends paging (it is no total,
    and has been inexact); it can only make the client ask once more. An empty page ends it.
    """
    if count == 0:
        return True
    more_said = full_result_size is not None and full_result_size > start + count
    return count < requested and not more_said


def parse_ledger_sum(item: Any) -> tuple[str, Decimal]:
    """A `/ledger` LedgerAccount -> (account number, sumAmount)."""
    return str(_int(_get(item, "account", "number"))), to_decimal(_get(item, "sumAmount"))


OnRateLimit = Callable[[str, RateLimitState], Awaitable[None] | None]
BeforeRequest = Callable[[str], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Reply:
    """A complete 2xx answer and the call it answers."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    where: str


class TripletexClient:
    """Tripletex API v2 over an injected session; its methods raise only `TripletexError` kinds.

    `on_rate_limit(auth_key, state)` (sync or async) sees every answer's X-Rate-Limit-* headers;
    `before_request(auth_key)` is awaited before every request, so a shared limiter can pace.
    `auth_key` is a token fingerprint: the session token's, or the employee token's for `:create`.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        on_rate_limit: OnRateLimit | None = None,
        before_request: BeforeRequest | None = None,
    ) -> None:
        base = URL(base_url.rstrip("/"))
        if base.scheme not in {"http", "https"} or not base.host:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self._session = session
        self._base = str(base)
        self._timeout = timeout
        self._on_rate_limit = on_rate_limit
        self._before_request = before_request
        self._last_reset: dict[str, RateLimitState] = {}
        #: paths whose `sorting` the API refused: asked for without it
        self._unsortable: set[str] = set()

    async def create_session(
        self, consumer_token: str, employee_token: str, expires: dt.date
    ) -> SessionToken:
        """Open a session: `POST /token/session/:create` with the tokens in a JSON body."""
        register_secret(consumer_token)
        register_secret(employee_token)
        reply = await self._send(
            "POST",
            api_path("token", "session", ":create"),
            key=fingerprint(employee_token),
            payload=session_body(consumer_token, employee_token, expires),
            secrets=(consumer_token, employee_token),
        )
        return _read(reply, lambda payload: parse_session(payload, expires))

    async def delete_session(self, auth: Auth) -> None:
        """Delete the session; the API wants the token in the path, so errors name the template."""
        path = api_path("token", "session", auth.session_token)
        await self._send("DELETE", path, auth=auth, where="DELETE /token/session/{token}")

    async def who_am_i(self, auth: Auth) -> WhoAmI:
        """The employee and company the session acts as (`GET /token/session/>whoAmI`)."""
        reply = await self._get(auth, api_path("token", "session", ">whoAmI"))
        return _read(reply, parse_who_am_i)

    async def company(self, auth: Auth, company_id: int) -> Company:
        """One company by id (`GET /company/{id}`)."""
        reply = await self._get(auth, api_path("company", str(company_id)))
        return _read(reply, lambda payload: parse_company(_get(payload, "value")))

    async def companies_with_login_access(
        self, auth: Auth, page_size: int = LIST_PAGE
    ) -> list[Company]:
        """The accountant's client companies (empty for an ordinary token); use `id` as username."""
        path = api_path("company", ">withLoginAccess")
        params = {"sorting": "id"}
        return [
            c
            async for page in self._list(auth, path, params, parse_company, page_size)
            for c in page
        ]

    async def annual_account_years(self, auth: Auth, year_from: int, year_to: int) -> list[int]:
        """The years with an annual account in [year_from, year_to), sorted."""
        path = api_path("ledger", "annualAccount")
        params = {
            "yearFrom": str(year_from), "yearTo": str(year_to), "fields": "id,year",
            "sorting": "year",
        }  # fmt: skip
        pages = self._list(auth, path, params, lambda item: _int(_get(item, "year")), LIST_PAGE)
        return sorted({year async for page in pages for year in page})

    async def raw_posting_page(
        self,
        auth: Auth,
        date_from: dt.date,
        date_to: dt.date,
        start: int,
        count: int,
        *,
        accounts: AccountRange = ALL_ACCOUNTS,
    ) -> RawPage:
        """Postings [start, start+count) dated in [date_from, date_to), count capped at 10k, only
        checked and counted: the importer hands the raw JSON to Postgres, which reads the amounts
        exactly, so nothing is parsed here."""
        params = posting_params(date_from, date_to, start, count, accounts)
        asked = int(params["count"])
        reply = await self._get(auth, api_path("ledger", "posting"), params)
        counted = envelope_count(reply.body)
        full = envelope_full_result_size(reply.body)
        if counted is not None:
            return RawPage(start, asked, counted, reply.body, full)
        return _read_raw(
            reply, lambda payload: RawPage(start, asked, len(values_of(payload)), reply.body, full)
        )

    async def iter_raw_postings(
        self,
        auth: Auth,
        date_from: dt.date,
        date_to: dt.date,
        page_size: int = MAX_PAGE,
        *,
        accounts: AccountRange = ALL_ACCOUNTS,
    ) -> AsyncIterator[RawPage]:
        """Every raw page of postings in [date_from, date_to), until one is short.

        More than 10,000 postings in the range raise `ResultSetTooLarge` on the first page: one
        request tells that the range must be split, and costs no more.
        """
        async for page in _pages(
            lambda start: self.raw_posting_page(
                auth, date_from, date_to, start, page_size, accounts=accounts
            )
        ):
            yield page

    async def first_posting_date(
        self, auth: Auth, date_from: dt.date, date_to: dt.date
    ) -> dt.date | None:
        """The date of the earliest posting in [date_from, date_to), None when there is none.

        One request (`count=1`, sorted by date); a range of more than 10,000 postings raises
        `ResultSetTooLarge`, which says as much: there are postings in it.
        """
        params = {**period(date_from, date_to), "from": "0", "count": "1"}
        params |= {"sorting": "date", "fields": "id,date"}
        reply = await self._get(auth, api_path("ledger", "posting"), params)
        return _read(reply, _first_date)

    async def ledger_sums(
        self, auth: Auth, date_from: dt.date, date_to: dt.date
    ) -> dict[str, Decimal]:
        """The sum of postings per account number in [date_from, date_to), from `GET /ledger`."""
        params = {**period(date_from, date_to), "fields": "account(number),sumAmount"}
        sums: dict[str, Decimal] = {}
        async for page in self._list(auth, api_path("ledger"), params, parse_ledger_sum, LIST_PAGE):
            for number, amount in page:
                sums[number] = sums.get(number, Decimal(0)) + amount
        return sums

    async def probe_ledger_access(self, auth: Auth, day: dt.date | None = None) -> None:
        """Query one posting of one day: raises `Forbidden` if the token may not read the ledger."""
        day = day or oslo_today()
        params = {**period(day, day + dt.timedelta(days=1)), "from": "0", "count": "1"}
        params |= {"sorting": POSTING_SORTING, "fields": "id"}
        try:
            await self._get(auth, api_path("ledger", "posting"), params)
        except ResultSetTooLarge:
            return  # the query ran, so the token may read the ledger

    async def _list(
        self,
        auth: Auth,
        path: str,
        params: Mapping[str, str],
        parse_item: Callable[[Any], T],
        page_size: int,
    ) -> AsyncIterator[list[T]]:
        """Pages of parsed list items, by `from`/`count` until a page is short."""
        start = 0
        while True:
            query = {**params, "from": str(start), "count": str(page_size)}
            reply = await self._get(auth, path, query)
            items = _read(reply, lambda payload: [parse_item(v) for v in values_of(payload)])
            yield items
            if len(items) < page_size:
                return
            start += len(items)

    async def _get(self, auth: Auth, path: str, params: Mapping[str, str] | None = None) -> _Reply:
        """A GET with auth. A `sorting` the endpoint refuses (422/17000; which sortings each
        endpoint accepts is not documented) is dropped for that path from then on, once."""
        if params and "sorting" in params and path in self._unsortable:
            params = {k: v for k, v in params.items() if k != "sorting"}
        try:
            return await self._send("GET", path, auth=auth, params=params)
        except InvalidRequest as exc:
            if exc.code != CODE_SORTING or not params or "sorting" not in params:
                raise
            self._unsortable.add(path)
            logger.warning("sorting_refused", path=unquote(path), sorting=params["sorting"])
            return await self._get(auth, path, params)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        auth: Auth | None = None,
        key: str | None = None,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, str] | None = None,
        where: str | None = None,
        secrets: tuple[str, ...] = (),
    ) -> _Reply:
        """One request: pace, send, report the rate-limit headers, map any error answer."""
        where = where or f"{method} {unquote(path)}"
        key = key or (auth.key if auth else "anonymous")
        headers = {"Accept": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth.header
            secrets = (*secrets, auth.session_token)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._before_request is not None:
            await self._before_request(key)
        data = None if payload is None else orjson.dumps(payload)
        status, answer_headers, body = await self._exchange(
            method, path=path, params=params, data=data, headers=headers, where=where
        )
        await self._observe(key, answer_headers)
        if not 200 <= status < 300:
            wait = retry_after(self._last_reset.get(key), time.time())
            raise error_for(
                status, answer_headers, body, where=where, secrets=secrets, retry_after=wait
            )
        return _Reply(status, answer_headers, body, where)

    async def _exchange(
        self,
        method: str,
        *,
        path: str,
        params: Mapping[str, str] | None,
        data: bytes | None,
        headers: Mapping[str, str],
        where: str,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Status, headers and whole body of one exchange; network failures become errors."""
        url = URL(self._base + path, encoded=True)
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                return response.status, response.headers, await response.read()
        except aiohttp.ClientConnectorDNSError as exc:
            message = f"Tripletex does not answer: {url.host} does not resolve ({where})."
            raise Unreachable(message) from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            message = (
                f"Tripletex does not answer: no connection to {url.host}:{url.port} ({where})."
            )
            raise Unreachable(message) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = f"The exchange with Tripletex broke off ({type(exc).__name__} on {where})."
            raise TransientUpstream(message) from exc

    async def _observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Remember the last Reset per auth and report the rate-limit headers to the callback."""
        state = rate_limit_state(headers, time.time())
        if state is None:
            return
        if state.reset_s is not None:
            self._last_reset[key] = state
        if self._on_rate_limit is not None:
            result = self._on_rate_limit(key, state)
            if inspect.isawaitable(result):
                await result


def _read(
    reply: _Reply, parse: Callable[[Any], T], decode: Callable[[bytes], Any] = decode_json
) -> T:
    """Decode and parse a 2xx body: a broken body is transient, a wrong shape is not."""
    request_id = request_id_of(reply.headers, {})
    context = f"{reply.status} on {reply.where}"
    try:
        payload = decode(reply.body)
    except ValueError as exc:
        message = f"Tripletex sent an incomplete or invalid JSON body ({context})."
        raise TransientUpstream(message, status=reply.status, request_id=request_id) from exc
    try:
        return parse(payload)
    except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
        message = f"Tripletex's answer lacks what the client needs ({context}: {exc})."
        raise UnexpectedResponse(message, status=reply.status, request_id=request_id) from exc


__all__ = [
    "DEFAULT_TIMEOUT",
    "LIST_PAGE",
    "MAX_PAGE",
    "POSTING_FIELDS",
    "Auth",
    "Company",
    "RateLimitState",
    "SessionToken",
    "TripletexClient",
    "WhoAmI",
    "api_path",
    "decode_json",
    "envelope_count",
    "fingerprint",
    "last_page",
    "oslo_today",
    "parse_company",
    "parse_ledger_sum",
    "parse_session",
    "parse_who_am_i",
    "period",
    "posting_params",
    "session_body",
    "to_decimal",
    "values_of",
]


async def _pages(fetch: Callable[[int], Awaitable[RawPage]]) -> AsyncIterator[RawPage]:
    """Pages from offset 0 on, until one is shorter than requested (never `fullResultSize`)."""
    start = 0
    while True:
        page = await fetch(start)
        yield page
        if page.is_last:
            return
        start += page.count


def _first_date(payload: Any) -> dt.date | None:
    """The `date` of a list's first value, None for an empty list."""
    values = values_of(payload)
    return _date(_get(values[0], "date")) if values else None


def _read_raw(reply: _Reply, parse: Callable[[Any], T]) -> T:
    """`_read` with a plain decode: numbers are not used, only the body's shape."""
    return _read(reply, parse, orjson.loads)
