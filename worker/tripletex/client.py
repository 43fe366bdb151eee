"""Tripletex API v2 client: the thin aiohttp layer over the pure `worker.tripletex.protocol`.

The same code serves `https://tripletex.no/v2` and the sandbox's `http://127.0.0.1:PORT/v2`: only
the injected `base_url` differs. Tokens travel in JSON bodies and the Authorization header only
(`delete_session` is the exception the API imposes), and every token is registered with the log
redactor.
"""

from __future__ import annotations

import datetime as dt
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import unquote

import aiohttp
import orjson
import structlog
from yarl import URL

from shared.logging import register_secret
from worker.sync.plan import ALL_ACCOUNTS, AccountRange
from worker.tripletex.errors import (
    CODE_SORTING,
    InvalidRequest,
    RateLimitState,
    Reply,
    ResultSetTooLarge,
    TransientUpstream,
    UnexpectedResponse,
    Unreachable,
    error_for,
    rate_limit_state,
    request_id_of,
    retry_after,
)
from worker.tripletex.protocol import (
    BALANCE_FIELDS,
    LIST_PAGE,
    MAX_PAGE,
    POSTING_SORTING,
    Auth,
    BalanceRow,
    Company,
    PostingQuery,
    RawPage,
    SessionToken,
    WhoAmI,
    api_path,
    decode_json,
    envelope_count,
    envelope_full_result_size,
    fingerprint,
    first_date,
    oslo_today,
    parse_balance,
    parse_company,
    parse_ledger_sum,
    parse_session,
    parse_who_am_i,
    parse_year,
    period,
    posting_params,
    session_body,
    value_of,
    values_of,
)

logger = structlog.get_logger(__name__)

#: per request: 10 s to connect, 60 s for the whole exchange
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)


OnRateLimit = Callable[[str, RateLimitState], Awaitable[None] | None]
BeforeRequest = Callable[[str], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """One call's shape: method and path, whose session, what it sends, how errors name it."""

    method: str
    path: str
    auth: Auth | None = None
    #: the rate-limit key (None: the session's, or "anonymous" without one)
    key: str | None = None
    params: Mapping[str, str] | None = None
    #: a JSON body
    payload: Mapping[str, Any] | None = None
    #: how errors name the call (None: method and path)
    where: str | None = None
    #: values masked in errors, beside the session token
    secrets: tuple[str, ...] = ()
    #: headers beside Accept, Authorization and Content-Type (If-None-Match, ...)
    headers: Mapping[str, str] | None = None
    #: statuses outside 2xx that are answers, not errors (304, a 404 that means "gone")
    accept: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """How errors name the call."""
        return self.where or f"{self.method} {unquote(self.path)}"


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
            Call(
                "POST",
                api_path("token", "session", ":create"),
                key=fingerprint(employee_token),
                payload=session_body(consumer_token, employee_token, expires),
                secrets=(consumer_token, employee_token),
            )
        )
        return _read(reply, lambda payload: parse_session(payload, expires))

    async def delete_session(self, auth: Auth) -> None:
        """Delete the session; the API wants the token in the path, so errors name the template."""
        path = api_path("token", "session", auth.session_token)
        await self._send(Call("DELETE", path, auth, where="DELETE /token/session/{token}"))

    async def who_am_i(self, auth: Auth) -> WhoAmI:
        """The employee and company the session acts as (`GET /token/session/>whoAmI`)."""
        reply = await self._get(auth, api_path("token", "session", ">whoAmI"))
        return _read(reply, parse_who_am_i)

    async def company(self, auth: Auth, company_id: int) -> Company:
        """One company by id (`GET /company/{id}`)."""
        reply = await self._get(auth, api_path("company", str(company_id)))
        return _read(reply, lambda payload: parse_company(value_of(payload)))

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
            "yearFrom": str(year_from),
            "yearTo": str(year_to),
            "fields": "id,year",
            "sorting": "year",
        }
        pages = self._list(auth, path, params, parse_year, LIST_PAGE)
        return sorted({year async for page in pages for year in page})

    async def raw_posting_page(
        self, auth: Auth, query: PostingQuery, start: int, count: int
    ) -> RawPage:
        """Postings [start, start+count) of the query, count capped at 10k, only checked and
        counted: the importer hands the raw JSON to Postgres, which reads the amounts exactly, so
        nothing is parsed here."""
        params = posting_params(query, start, count)
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
        query = PostingQuery(date_from, date_to, accounts)
        async for page in _pages(
            lambda start: self.raw_posting_page(auth, query, start, page_size)
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
        return _read(reply, first_date)

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

    async def list_all(
        self, auth: Auth, path: str, params: Mapping[str, str], parse_item: Callable[[Any], T]
    ) -> list[T]:
        """Every object of a list endpoint, parsed, 10,000 a page (a register: one request)."""
        return [
            item
            async for page in self._list(auth, path, params, parse_item, LIST_PAGE)
            for item in page
        ]

    async def balance_sheet(
        self, auth: Auth, date_from: dt.date, date_to: dt.date
    ) -> list[BalanceRow]:
        """Each account's balance in, change and balance out over [date_from, date_to), from
        `GET /balanceSheet` (accounts with a balance or movements; one page for any chart)."""
        params = {**period(date_from, date_to), "fields": BALANCE_FIELDS}
        return await self.list_all(auth, api_path("balanceSheet"), params, parse_balance)

    async def probe_ledger_access(self, auth: Auth, day: dt.date | None = None) -> None:
        """Query one posting of one day: raises `Forbidden` if the token may not read the ledger."""
        day = day or oslo_today()
        params = {**period(day, day + dt.timedelta(days=1)), "from": "0", "count": "1"}
        params |= {"sorting": POSTING_SORTING, "fields": "id"}
        try:
            await self._get(auth, api_path("ledger", "posting"), params)
        except ResultSetTooLarge:
            return  # the query ran, so the token may read the ledger

    async def exchange(self, call: Call) -> Reply:
        """One call as received: 2xx and the call's `accept`ed statuses answer, any other raises
        its `TripletexError` (the event and checksum calls of `worker.tripletex.changes`)."""
        return await self._send(call)

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

    async def _get(self, auth: Auth, path: str, params: Mapping[str, str] | None = None) -> Reply:
        """A GET with auth. A `sorting` the endpoint refuses (422/17000; which sortings each
        endpoint accepts is not documented) is dropped for that path from then on, once."""
        if params and "sorting" in params and path in self._unsortable:
            params = {k: v for k, v in params.items() if k != "sorting"}
        try:
            return await self._send(Call("GET", path, auth, params=params))
        except InvalidRequest as exc:
            if exc.code != CODE_SORTING or not params or "sorting" not in params:
                raise
            self._unsortable.add(path)
            logger.warning("sorting_refused", path=unquote(path), sorting=params["sorting"])
            return await self._get(auth, path, params)

    async def _send(self, request: Call) -> Reply:
        """One request: pace, send, report the rate-limit headers, map any error answer."""
        auth, payload, secrets = request.auth, request.payload, request.secrets
        where = request.label
        key = request.key or (auth.key if auth else "anonymous")
        headers = {"Accept": "application/json", **(request.headers or {})}
        if auth is not None:
            headers["Authorization"] = auth.header
            secrets = (*secrets, auth.session_token)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._before_request is not None:
            await self._before_request(key)
        data = None if payload is None else orjson.dumps(payload)
        status, answer_headers, body = await self._exchange(request, data=data, headers=headers)
        await self._observe(key, answer_headers)
        reply = Reply(status, answer_headers, body, where)
        if not 200 <= status < 300 and status not in request.accept:
            wait = retry_after(self._last_reset.get(key), time.time())
            raise error_for(reply, secrets=secrets, retry_after=wait)
        return reply

    async def _exchange(
        self, request: Call, *, data: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Status, headers and whole body of one exchange; network failures become errors."""
        url = URL(self._base + request.path, encoded=True)
        where = request.label
        try:
            async with self._session.request(
                request.method,
                url,
                params=request.params,
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
    reply: Reply, parse: Callable[[Any], T], decode: Callable[[bytes], Any] = decode_json
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


async def _pages(fetch: Callable[[int], Awaitable[RawPage]]) -> AsyncIterator[RawPage]:
    """Pages from offset 0 on, until one is shorter than requested (never `fullResultSize`)."""
    start = 0
    while True:
        page = await fetch(start)
        yield page
        if page.is_last:
            return
        start += page.count


def _read_raw(reply: Reply, parse: Callable[[Any], T]) -> T:
    """`_read` with a plain decode: numbers are not used, only the body's shape."""
    return _read(reply, parse, orjson.loads)
