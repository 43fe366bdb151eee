"""Company endpoints: `>withLoginAccess` (the accountant's clients) and `company/{id}`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import errors
from sandbox.auth import Area
from sandbox.chart import NOK
from sandbox.company import Company
from sandbox.envelope import listing, single
from sandbox.handlers import context, guard, state_of
from sandbox.pagecache import Page
from sandbox.query import paging, selection, sort
from sandbox.records import CLIENT, COMPANY
from sandbox.render import compile_selection, render_many, render_one
from sandbox.tokens import TokenKind

#: street addresses by company slot (cycled)
_STREETS = (
    ("Strandgata 12", "5013", "Bergen"),
    ("Kongens gate 3", "7011", "Trondheim"),
    ("Storgata 41", "0184", "Oslo"),
    ("Havnegata 7", "9008", "Tromsø"),
    ("Løkkeveien 22", "4008", "Stavanger"),
    ("Torget 1", "6004", "Ålesund"),
)


def company_data(company: Company, *, client: bool = False) -> dict[str, Any]:
    """A company as the Company (or Client) DTO."""
    street, postal, city = _STREETS[company.slot % len(_STREETS)]
    data: dict[str, Any] = {
        "id": company.id,
        "name": company.name,
        "displayName": company.name,
        "startDate": f"{company.years[0]}-01-01",
        "endDate": None,
        "organizationNumber": company.organization_number,
        "email": company.email,
        "phoneNumber": f"+47 {55_00_00_00 + company.id * 37 % 10_000:08d}",
        "phoneNumberMobile": "",
        "faxNumber": "",
        "address": {
            "id": company.id * 10 + 1,
            "addressLine1": street,
            "postalCode": postal,
            "city": city,
        },
        "type": company.type.value,
        "currency": NOK,
        "accountantOrSimilar": company.accountant,
    }
    if client:
        data |= {
            "customerCompanyId": company.customer_company_id,
            "companyMigration": "NONE",
            "invoiceShowDeliveryDate": False,
        }
    return data


async def with_login_access(request: web.Request) -> web.StreamResponse:
    """GET /company/>withLoginAccess: an accountant's clients; empty for other tokens."""
    principal = guard(request, Area.SESSION)
    state = state_of(request)
    start, count = paging(request.query)
    chosen = selection(request.query, CLIENT)
    clients = []
    if principal.token.kind is TokenKind.ACCOUNTANT:
        found = (state.scenario.company(cid) for cid in principal.token.clients)
        clients = [company_data(c, client=True) for c in found if c is not None]
    clients = sort(request.query, CLIENT, clients)
    shown = clients[start : start + count]
    values = render_many(compile_selection(CLIENT, chosen), shown, context(request))
    return listing(request, Page(values, len(shown), len(clients)), start)


async def company(request: web.Request) -> web.Response:
    """GET /company/{id}: the company in context (404 for any other id)."""
    principal = guard(request, Area.COMPANY)
    if int(request.match_info["id"]) != principal.company.id:
        raise errors.not_found()
    chosen = selection(request.query, COMPANY)
    data = company_data(principal.company)
    return single(render_one(compile_selection(COMPANY, chosen), data, context(request)))
