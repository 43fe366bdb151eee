"""Render models of the registers postings point to: departments, projects, products and the
free accounting dimensions (customers, suppliers, employees and VAT types are in schemas/records).

Field names follow the public spec (openapi.json); the subset served is what an import needs.
"""

from __future__ import annotations

from operator import attrgetter

from sandbox.registers import DimensionValue, Project
from sandbox.render import Computed, Model, Raw, Ref, register
from sandbox.schemas import EMPTY, FALSE, NULL, TRUE, ZERO, url

DEPARTMENT = register(
    Model(
        "Department",
        "department",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("department"),
            "name": Raw("name"),
            "departmentNumber": Raw("number"),
            "departmentManager": NULL,
            "displayName": Raw("name"),
            "isInactive": Raw("inactive"),
        },
    )
)


def _project_display(p: Project, ctx: object) -> str:
    return f"{p.number} {p.name}"


PROJECT = register(
    Model(
        "Project",
        "project",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("project"),
            "name": Raw("name"),
            "number": Raw("number"),
            "displayName": Computed(_project_display),
            "description": EMPTY,
            "department": Ref("Department", attrgetter("department")),
            "startDate": Raw("start"),
            "endDate": NULL,
            "isClosed": Raw("closed"),
            "isInternal": FALSE,
        },
    )
)

PRODUCT = register(
    Model(
        "Product",
        "product",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("product"),
            "name": Raw("name"),
            "number": Raw("number"),
            "displayName": Raw("name"),
            "description": EMPTY,
            "isInactive": Raw("inactive"),
        },
    )
)

ACCOUNTING_DIMENSION_NAME = register(
    Model(
        "AccountingDimensionName",
        "ledger/accountingDimensionName",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("ledger/accountingDimensionName"),
            "dimensionName": Raw("name"),
            "description": EMPTY,
            "dimensionIndex": Raw("dimension"),
            "active": TRUE,
        },
    )
)


def _name_and_number(v: DimensionValue, ctx: object) -> str:
    return f"{v.number} {v.name}"


ACCOUNTING_DIMENSION_VALUE = register(
    Model(
        "AccountingDimensionValue",
        "ledger/accountingDimensionValue",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("ledger/accountingDimensionValue"),
            "displayName": Raw("name"),
            "nameAndNumber": Computed(_name_and_number),
            "dimensionIndex": Raw("dimension"),
            "active": TRUE,
            "number": Raw("number"),
            "showInVoucherRegistration": TRUE,
            "position": Raw("position"),
        },
    )
)
