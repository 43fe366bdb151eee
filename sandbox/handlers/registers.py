"""Register endpoints: customers, suppliers, employees, departments, projects, products, VAT and
voucher types, and the free accounting dimensions; small lists with paging, fields and sorting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from sandbox import errors
from sandbox.auth import Area
from sandbox.chart import VAT_TYPES
from sandbox.handlers import guard, small_list
from sandbox.query import unsupported
from sandbox.records import EMPLOYEE
from sandbox.register_models import (
    ACCOUNTING_DIMENSION_NAME,
    ACCOUNTING_DIMENSION_VALUE,
    DEPARTMENT,
    PRODUCT,
    PROJECT,
)
from sandbox.registers import Registers, registers_for, values_of_dimension
from sandbox.render import Model
from sandbox.schemas import CUSTOMER, SUPPLIER, TYPES, VAT_TYPE, VOUCHER_TYPE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: filters the real endpoints have that the sandbox refuses rather than ignores
PARTY_FILTERS = ("id", "organizationNumber", "email", "invoiceEmail", "isInactive", "changedSince")
NAMED_FILTERS = ("id", "name", "number", "isInactive", "isClosed", "departmentId", "query")
#: the VAT types in id order
VAT_BY_ID = tuple(sorted(VAT_TYPES.values(), key=lambda v: v.id))


def _register(
    model: Model,
    area: Area,
    pick: Callable[[Registers], Sequence[Any]],
    refused: tuple[str, ...] = NAMED_FILTERS,
) -> Handler:
    """A GET handler listing one register of the caller's company."""

    async def handler(request: web.Request) -> web.StreamResponse:
        principal = guard(request, area)
        unsupported(request.query, refused)
        return small_list(request, model, list(pick(registers_for(principal.company.id))))

    handler.__doc__ = f"GET /{model.path}: every {model.name} of the company, by id."
    return handler


customers = _register(CUSTOMER, Area.COMPANY, lambda r: r.customers, PARTY_FILTERS)
suppliers = _register(SUPPLIER, Area.COMPANY, lambda r: r.suppliers, PARTY_FILTERS)
employees = _register(EMPLOYEE, Area.COMPANY, lambda r: r.employees)
departments = _register(DEPARTMENT, Area.COMPANY, lambda r: r.departments)
projects = _register(PROJECT, Area.COMPANY, lambda r: r.projects)
products = _register(PRODUCT, Area.COMPANY, lambda r: r.products)
vat_types = _register(VAT_TYPE, Area.LEDGER, lambda r: list(VAT_BY_ID))
voucher_types = _register(VOUCHER_TYPE, Area.LEDGER, lambda r: list(TYPES.values()))
#: the doc (section 6.5) names /ledger/accountingDimensionName and .../accountingDimensionValue;
#: the public spec lists them under `/search` as well: both paths serve the same list
dimension_names = _register(ACCOUNTING_DIMENSION_NAME, Area.LEDGER, lambda r: r.dimension_names)


async def dimension_values(request: web.Request) -> web.StreamResponse:
    """GET /ledger/accountingDimensionValue(/search)?dimensionIndex=: the values of the free
    dimensions, of one dimension when `dimensionIndex` is given."""
    principal = guard(request, Area.LEDGER)
    unsupported(request.query, NAMED_FILTERS)
    values = registers_for(principal.company.id).dimension_values
    wanted = request.query.get("dimensionIndex")
    if wanted:
        if wanted not in ("1", "2", "3"):
            raise errors.invalid("dimensionIndex", "dimensionIndex must be 1, 2 or 3.", 15000)
        values = values_of_dimension(principal.company.id, int(wanted))
    return small_list(request, ACCOUNTING_DIMENSION_VALUE, list(values))


#: (path under /v2, handler) of every register
ROUTES: tuple[tuple[str, Handler], ...] = (
    ("/customer", customers),
    ("/supplier", suppliers),
    ("/employee", employees),
    ("/department", departments),
    ("/project", projects),
    ("/product", products),
    ("/ledger/vatType", vat_types),
    ("/ledger/voucherType", voucher_types),
    ("/ledger/accountingDimensionName", dimension_names),
    ("/ledger/accountingDimensionName/search", dimension_names),
    ("/ledger/accountingDimensionValue", dimension_values),
    ("/ledger/accountingDimensionValue/search", dimension_values),
)
