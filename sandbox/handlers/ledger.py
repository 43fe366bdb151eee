"""Posting and voucher endpoints: the paged lists (10k cap, cached pages) and single objects."""

from __future__ import annotations

from aiohttp import web

from sandbox import errors
from sandbox.auth import Area
from sandbox.envelope import listing, single
from sandbox.fields import unparse
from sandbox.handlers import context, guard, state_of
from sandbox.ledger import Ledger
from sandbox.mutations import between_pages
from sandbox.pagecache import Page
from sandbox.query import capped, date_range, default_order, paging, selection, unsupported
from sandbox.render import compile_selection, render_many, render_one
from sandbox.schemas import POSTING, VOUCHER
from sandbox.state import SandboxState

#: the default order of postings (section 12)
POSTING_ORDER = ("date", "voucher.number", "row", "id")
VOUCHER_ORDER = ("date", "number", "id")
#: filters Tripletex has on /ledger/posting that the sandbox refuses rather than ignores
POSTING_FILTERS = (
    "accountId",
    "supplierId",
    "customerId",
    "employeeId",
    "departmentId",
    "projectId",
    "productId",
    "accountNumberFrom",
    "accountNumberTo",
    "type",
    "accountingDimensionValue1Id",
    "accountingDimensionValue2Id",
    "accountingDimensionValue3Id",
    "openPostings",
)
VOUCHER_FILTERS = ("id", "number", "numberFrom", "numberTo", "typeId")


def _ledger(request: web.Request) -> tuple[SandboxState, Ledger]:
    principal = guard(request, Area.LEDGER)
    state = state_of(request)
    return state, state.ledgers[principal.company.id]


async def postings(request: web.Request) -> web.StreamResponse:
    """GET /ledger/posting?dateFrom=&dateTo= (dateTo exclusive)."""
    state, ledger = _ledger(request)
    query = request.query
    span = date_range(query)
    start, count = paging(query)
    chosen = selection(query, POSTING)
    default_order(query, POSTING, POSTING_ORDER)
    unsupported(query, POSTING_FILTERS)
    between_pages(state, ledger, span, start, vouchers=False)
    total = ledger.totals(*span).postings
    capped(total)
    key = (
        ledger.company.id,
        ledger.overlay.generation,
        "posting",
        span,
        start,
        count,
        unparse(chosen),
        request.host,
    )
    page = state.cache.get(key)
    if page is None:
        rows = ledger.postings(*span, start, count)
        page = Page(
            render_many(compile_selection(POSTING, chosen), rows, context(request)),
            len(rows),
            total,
        )
        state.cache.put(key, page)
    return listing(request, page, start)


async def vouchers(request: web.Request) -> web.StreamResponse:
    """GET /ledger/voucher?dateFrom=&dateTo=; postings are refs unless `postings(...)` is asked."""
    state, ledger = _ledger(request)
    query = request.query
    span = date_range(query)
    start, count = paging(query)
    chosen = selection(query, VOUCHER)
    default_order(query, VOUCHER, VOUCHER_ORDER)
    unsupported(query, VOUCHER_FILTERS)
    between_pages(state, ledger, span, start, vouchers=True)
    totals = ledger.totals(*span)
    capped(totals.vouchers)
    key = (
        ledger.company.id,
        ledger.overlay.generation,
        "voucher",
        span,
        start,
        count,
        unparse(chosen),
        request.host,
    )
    page = state.cache.get(key)
    if page is None:
        entries = ledger.vouchers(*span, start, count)
        ctx = context(request)
        ctx.postings = {p.id: p for e in entries for p in e.postings}
        values = render_many(compile_selection(VOUCHER, chosen), [e.voucher for e in entries], ctx)
        page = Page(
            values, len(entries), totals.vouchers, (("totalNumberOfPostings", totals.postings),)
        )
        state.cache.put(key, page)
    return listing(request, page, start)


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
