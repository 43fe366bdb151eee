"""Posting and voucher endpoints: the paged lists (10k cap, cached pages) and single objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox import errors
from sandbox.auth import Area
from sandbox.envelope import listing, single
from sandbox.fields import unparse
from sandbox.handlers import context, guard, state_of
from sandbox.ledger import Ledger
from sandbox.mutations import between_pages
from sandbox.pagecache import Page
from sandbox.query import (
    account_numbers,
    capped,
    date_range,
    default_order,
    paging,
    selection,
    unsupported,
)
from sandbox.render import Context, Model, Renderer, compile_selection, render_many, render_one
from sandbox.schemas import POSTING, VOUCHER
from sandbox.state import SandboxState

#: the default order of postings (section 12), and the sortings that name the same order: ids
#: increase with (date, voucher, row), vouchers added at run time included (journal.voucher_id)
POSTING_ORDERS = (("date", "voucher.number", "row", "id"), ("date", "id"), ("id",))
VOUCHER_ORDERS = (("date", "number", "id"), ("date", "id"), ("id",))
#: filters Tripletex has on /ledger/posting that the sandbox refuses rather than ignores
POSTING_FILTERS = (
    "accountId",
    "supplierId",
    "customerId",
    "employeeId",
    "departmentId",
    "projectId",
    "productId",
    "type",
    "accountingDimensionValue1Id",
    "accountingDimensionValue2Id",
    "accountingDimensionValue3Id",
    "openPostings",
)
VOUCHER_FILTERS = ("id", "number", "numberFrom", "numberTo", "typeId")
#: a date range as ordinals: first day, and the day after the last
Span = tuple[int, int]
#: a page of a list: `from` and `count`
Window = tuple[int, int]
#: account numbers low..high (exclusive) from accountNumberFrom/accountNumberTo
Accounts = tuple[int, int]


def _ledger(request: web.Request) -> tuple[SandboxState, Ledger]:
    principal = guard(request, Area.LEDGER)
    state = state_of(request)
    return state, state.ledgers[principal.company.id]


@dataclass(frozen=True, slots=True)
class ListKind:
    """What differs between the paged ledger lists: their schema, order, filters and pages."""

    name: str
    schema: Model
    orders: tuple[tuple[str, ...], ...]
    filters: tuple[str, ...]
    vouchers: bool
    #: whether the list takes accountNumberFrom/accountNumberTo
    by_account: bool
    #: the list's full size, and the extra envelope fields, for a date range
    total: Callable[[Ledger, Span], tuple[int, tuple[tuple[str, int], ...]]]
    #: one page as a JSON array, and how many objects it holds
    render: Callable[[Ledger, Span, Window, Renderer, Context], tuple[bytes, int]]


async def _paged_list(request: web.Request, kind: ListKind) -> web.StreamResponse:
    """A paged list (section 12): checked query, the 10k cap, pages cached by what shapes them
    (in latency mode rendered on demand, as a real server reads them again)."""
    state, ledger = _ledger(request)
    query = request.query
    span = date_range(query)
    start, count = paging(query)
    chosen = selection(query, kind.schema)
    default_order(query, kind.schema, kind.orders)
    unsupported(query, kind.filters)
    inclusive = state.faults.account_number_to_inclusive
    accounts = account_numbers(query, to_inclusive=inclusive) if kind.by_account else None
    between_pages(state, ledger, span, start, vouchers=kind.vouchers)
    if accounts is None:
        total, extra = kind.total(ledger, span)
    else:
        total, extra = len(ledger.matching(*span, *accounts)), ()
    capped(total)
    key = (
        ledger.company.id,
        ledger.overlay.generation,
        kind.name,
        span,
        start,
        count,
        unparse(chosen),
        request.host,
        accounts,
    )
    cached = state.faults.page_latency_ms is None
    page = state.cache.get(key) if cached else None
    if page is None:
        compiled = compile_selection(kind.schema, chosen)
        ctx = context(request)
        if accounts is None:
            values, found = kind.render(ledger, span, (start, count), compiled, ctx)
        else:
            rows = ledger.matching(*span, *accounts)[start : start + count]
            values, found = render_many(compiled, rows, ctx), len(rows)
        page = Page(values, found, total, extra)
        if cached:
            state.cache.put(key, page)
    return listing(request, page, start)


def _render_postings(
    ledger: Ledger, span: Span, window: Window, compiled: Renderer, ctx: Context
) -> tuple[bytes, int]:
    rows = ledger.postings(*span, *window)
    return render_many(compiled, rows, ctx), len(rows)


def _render_vouchers(
    ledger: Ledger, span: Span, window: Window, compiled: Renderer, ctx: Context
) -> tuple[bytes, int]:
    entries = ledger.vouchers(*span, *window)
    ctx.postings = {p.id: p for e in entries for p in e.postings}
    return render_many(compiled, [e.voucher for e in entries], ctx), len(entries)


def _posting_total(ledger: Ledger, span: Span) -> tuple[int, tuple[tuple[str, int], ...]]:
    return ledger.totals(*span).postings, ()


def _voucher_total(ledger: Ledger, span: Span) -> tuple[int, tuple[tuple[str, int], ...]]:
    totals = ledger.totals(*span)
    return totals.vouchers, (("totalNumberOfPostings", totals.postings),)


POSTINGS = ListKind(
    "posting",
    POSTING,
    POSTING_ORDERS,
    POSTING_FILTERS,
    False,
    True,
    _posting_total,
    _render_postings,
)
VOUCHERS = ListKind(
    "voucher",
    VOUCHER,
    VOUCHER_ORDERS,
    VOUCHER_FILTERS,
    True,
    False,
    _voucher_total,
    _render_vouchers,
)


async def postings(request: web.Request) -> web.StreamResponse:
    """GET /ledger/posting?dateFrom=&dateTo= (dateTo exclusive)."""
    return await _paged_list(request, POSTINGS)


async def vouchers(request: web.Request) -> web.StreamResponse:
    """GET /ledger/voucher?dateFrom=&dateTo=; postings are refs unless `postings(...)` is asked."""
    return await _paged_list(request, VOUCHERS)


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def posting(request: web.Request) -> web.Response:
    """GET /ledger/posting/{id}."""
    _, ledger = _ledger(request)
    found = ledger.posting(_id(request))
    if found is None:
        raise errors.not_found()
    chosen = selection(request.query, POSTING)
    return single(render_one(compile_selection(POSTING, chosen), found, context(request)))


async def voucher(request: web.Request) -> web.Response:
    """GET /ledger/voucher/{id}."""
    _, ledger = _ledger(request)
    entry = ledger.voucher(_id(request))
    if entry is None:
        raise errors.not_found()
    chosen = selection(request.query, VOUCHER)
    ctx = context(request)
    ctx.postings = {p.id: p for p in entry.postings}
    return single(render_one(compile_selection(VOUCHER, chosen), entry.voucher, ctx))
