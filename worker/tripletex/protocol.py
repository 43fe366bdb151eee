"""The Tripletex API v2 protocol, sans I/O: paths, params, envelopes, and reading answers.

Everything here is pure: it builds what a request sends and reads what an answer holds, exactly
(amounts as Decimals, never through a lossy float), so it is tested without a server. What an
error answer means is `worker.tripletex.errors`; the aiohttp layer is `worker.tripletex.client`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson

from shared.logging import register_secret
from worker.sync.plan import ALL_ACCOUNTS, RESULT_CAP, AccountRange

#: the largest `count` Tripletex honours: it clamps above its result cap (the sandbox too, which
#: would end paging early)
MAX_PAGE = RESULT_CAP
#: page size for the short lists (companies, years, ledger sums): as large as a posting page, so
#: each is one request (they are far under the 10,000 cap), whatever order the API pages in
LIST_PAGE = MAX_PAGE
#: the fixed order every page of postings is asked in: offset paging over an order that is not
#: fixed can skip or repeat rows, and ids are unique and never reused
POSTING_SORTING = "id"
#: the posting fields an import needs: the amounts, the account, the voucher, and every dimension
#: a report groups by, each reference as its id only (`x(id)` leaves out the `url` an unexpanded
#: reference carries: smaller pages); names as the spec's Posting and Voucher spell them
POSTING_FIELDS = (
    "id,version,date,description,row,amount,amountCurrency,amountGross,currency(code),"
    "account(id,number,name),voucher(id,version,number,year,description,voucherType(id)),"
    "customer(id),supplier(id),employee(id),department(id),project(id),product(id),"
    "vatType(id),freeAccountingDimension1(id),freeAccountingDimension2(id),"
    "freeAccountingDimension3(id),invoiceNumber,systemGenerated"
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


@dataclass(frozen=True, slots=True)
class PostingQuery:
    """Which postings a `/ledger/posting` page is taken from: dated in [date_from, date_to),
    within `accounts` (unlike a plan's DateRange, the dates may make an empty range)."""

    date_from: dt.date
    date_to: dt.date
    accounts: AccountRange = ALL_ACCOUNTS


def posting_params(query: PostingQuery, start: int, count: int) -> dict[str, str]:
    """The query of one page of `/ledger/posting`: range, page, fixed order, fields, accounts.

    `accountNumberTo` is sent as the range's exclusive top: an API that reads it inclusively
    answers one account more, which the importer leaves out; one that reads it exclusively
    answers exactly the range. Either way nothing inside the range is missed.
    """
    params = {
        **period(query.date_from, query.date_to),
        "from": str(start),
        "count": str(max(1, min(count, MAX_PAGE))),
        "sorting": POSTING_SORTING,
        "fields": POSTING_FIELDS,
    }
    if query.accounts.low is not None:
        params["accountNumberFrom"] = str(query.accounts.low)
    if query.accounts.high is not None:
        params["accountNumberTo"] = str(query.accounts.high)
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


#: the balance sheet's fields: the account's number and its three balances
BALANCE_FIELDS = "account(number),balanceIn,balanceChange,balanceOut"


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One account's balances over a period as the API states them (`/balanceSheet`)."""

    account: str
    opening: Decimal
    movement: Decimal
    closing: Decimal


def parse_balance(item: Any) -> BalanceRow:
    """A BalanceSheetAccount -> BalanceRow (amounts exact)."""
    return BalanceRow(
        str(_int(_get(item, "account", "number"))),
        to_decimal(_get(item, "balanceIn")),
        to_decimal(_get(item, "balanceChange")),
        to_decimal(_get(item, "balanceOut")),
    )


def value_of(payload: Any) -> Any:
    """The `value` of a single-object envelope."""
    return _get(payload, "value")


def parse_year(item: Any) -> int:
    """An AnnualAccount (fetched with `fields=id,year`) -> its year."""
    return _int(_get(item, "year"))


def first_date(payload: Any) -> dt.date | None:
    """The `date` of a list's first value, None for an empty list."""
    values = values_of(payload)
    return _date(_get(values[0], "date")) if values else None
