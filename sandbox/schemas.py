"""The DTOs the sandbox serves, as render models: field names and how each is written."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sandbox.chart import NOK, Account
from sandbox.journal import Party, Voucher
from sandbox.names import VOUCHER_TYPES
from sandbox.registers import (
    department_of,
    dimension_of,
    employee_of,
    is_foreign,
    is_inactive,
    party_number,
    party_organization_number,
    product_of,
    project_of,
)
from sandbox.render import (
    Computed,
    Const,
    Context,
    Model,
    Raw,
    Ref,
    amount_column,
    register,
)
from sandbox.templates import POSTED_ACCOUNTS, Role


class VoucherType(NamedTuple):
    """A voucher type (bilagstype)."""

    id: int
    name: str


#: voucher types by id
TYPES = {i: VoucherType(i, name) for i, name in VOUCHER_TYPES.items()}
NULL, FALSE, TRUE, EMPTY, ZERO = Const(None), Const(False), Const(True), Const(""), Const(0)


def money(name: str) -> Computed:
    """An amount in øre held in an attribute."""
    return Computed(amount_column(attrgetter(name)))


def url(path: str, ident: Callable[[Any], Any] = attrgetter("id")) -> Computed:
    """The object's own url (`host/v2/path/id`, no scheme)."""
    return Computed(lambda obj, ctx: f"{ctx.base}/{path}/{ident(obj)}")


def changes(obj: Any, ctx: Context) -> list[dict[str, Any]]:
    """The change log: a CREATE, and an UPDATE when the object was changed."""
    stamp = f"{obj.date}T09:00:00"
    log = [{"employeeId": 1, "timestamp": stamp, "changeType": "CREATE"}]
    if obj.version:
        log.append({"employeeId": 1, "timestamp": stamp, "changeType": "UPDATE"})
    return log


def nothing() -> Ref:
    """A reference the sandbox always leaves empty."""
    return Ref("Object", lambda obj: None)


def free_dimension(index: int) -> Ref:
    """A posting's value of free accounting dimension 1, 2 or 3."""
    return Ref("AccountingDimensionValue", lambda p: dimension_of(p, index))


STUB = register(Model("Object", "object", {"id": Raw("id"), "url": url("object")}))

POSTING = register(
    Model(
        "Posting",
        "ledger/posting",
        {
            "id": Raw("id"),
            "version": Raw("version"),
            "url": url("ledger/posting"),
            "voucher": Ref("Voucher", attrgetter("voucher")),
            "date": Raw("date"),
            "description": Raw("description"),
            "account": Ref("Account", attrgetter("account")),
            "amortizationAccount": nothing(),
            "amortizationStartDate": NULL,
            "amortizationEndDate": NULL,
            "customer": Ref("Customer", attrgetter("customer")),
            "supplier": Ref("Supplier", attrgetter("supplier")),
            "employee": Ref("Employee", employee_of, key=itemgetter("id")),
            "project": Ref("Project", project_of),
            "product": Ref("Product", product_of),
            "department": Ref("Department", department_of),
            "vatType": Ref("VatType", attrgetter("vat_type")),
            "amount": money("amount"),
            "amountCurrency": money("amount_currency"),
            "amountGross": money("amount_gross"),
            "amountGrossCurrency": money("amount_gross_currency"),
            "currency": Ref("Currency", attrgetter("currency")),
            "closeGroup": nothing(),
            "invoiceNumber": Raw("invoice_number"),
            "termOfPayment": NULL,
            "row": Raw("row"),
            "type": Raw("type"),
            "externalRef": EMPTY,
            "systemGenerated": Raw("system_generated"),
            "taxTransactionType": NULL,
            "taxTransactionTypeId": NULL,
            "matched": FALSE,
            "quantityAmount1": NULL,
            "quantityType1": NULL,
            "quantityAmount2": NULL,
            "quantityType2": NULL,
            "isVatReadonly": FALSE,
            "isAmountVatClosed": FALSE,
            "postingRuleId": NULL,
            "freeAccountingDimension1": free_dimension(1),
            "freeAccountingDimension2": free_dimension(2),
            "freeAccountingDimension3": free_dimension(3),
            "asset": nothing(),
            "changes": Computed(changes),
        },
        frozenset({"changes"}),
    )
)


def _number_string(v: Voucher, ctx: Context) -> str:
    return f"{v.number}-{v.year}"


VOUCHER = register(
    Model(
        "Voucher",
        "ledger/voucher",
        {
            "id": Raw("id"),
            "version": Raw("version"),
            "url": url("ledger/voucher"),
            "date": Raw("date"),
            "number": Raw("number"),
            "tempNumber": ZERO,
            "year": Raw("year"),
            "description": Raw("description"),
            "voucherType": Ref("VoucherType", lambda v: TYPES[v.type_id]),
            "reverseVoucher": NULL,
            "postings": Ref("Posting", attrgetter("posting_ids"), many=True),
            "document": NULL,
            "attachment": NULL,
            "externalVoucherNumber": EMPTY,
            "ediDocument": NULL,
            "supplierVoucherType": NULL,
            "wasAutoMatched": FALSE,
            "vendorInvoiceNumber": EMPTY,
            "displayName": Computed(_number_string),
            "numberAsString": Computed(_number_string),
            "changes": Computed(changes),
        },
        frozenset({"changes"}),
    )
)

VOUCHER_TYPE = register(
    Model(
        "VoucherType",
        "ledger/voucherType",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("ledger/voucherType"),
            "name": Raw("name"),
            "displayName": Raw("name"),
        },
    )
)


def _account_name(a: Account, ctx: Context) -> str:
    return f"{a.number} {a.name}"


ACCOUNT = register(
    Model(
        "Account",
        "ledger/account",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("ledger/account"),
            "number": Raw("number"),
            "numberPretty": Computed(lambda a, ctx: str(a.number)),
            "name": Raw("name"),
            "description": EMPTY,
            "type": Raw("type"),
            "ledgerType": Raw("ledger_type"),
            "vatType": Ref("VatType", attrgetter("vat_type")),
            "vatLocked": FALSE,
            "currency": Ref("Currency", lambda a: NOK),
            "isCloseable": FALSE,
            "isApplicableForSupplierInvoice": Computed(lambda a, ctx: 4000 <= a.number < 8000),
            "requireReconciliation": Raw("is_bank"),
            "isInactive": Raw("inactive"),
            "isBankAccount": Raw("is_bank"),
            "isInvoiceAccount": FALSE,
            "bankAccountNumber": EMPTY,
            "isBalanceAccount": Raw("is_balance"),
            "saftCode": Computed(lambda a, ctx: str(a.number)),
            "groupingCode": EMPTY,
            "displayName": Computed(_account_name),
            "requiresDepartment": FALSE,
            "requiresProject": FALSE,
            "isPostingsExist": Computed(lambda a, ctx: a.number in POSTED_ACCOUNTS),
            "department": NULL,
        },
    )
)

CURRENCY = register(
    Model(
        "Currency",
        "currency",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("currency"),
            "code": Raw("code"),
            "description": Raw("description"),
            "factor": Const(1),
            "displayName": Raw("code"),
            "isDisabled": FALSE,
        },
    )
)

VAT_TYPE = register(
    Model(
        "VatType",
        "ledger/vatType",
        {
            "id": Raw("id"),
            "version": ZERO,
            "url": url("ledger/vatType"),
            "name": Raw("name"),
            "number": Raw("number"),
            "displayName": Computed(lambda v, ctx: f"{v.number} {v.name}"),
            "percentage": Raw("percentage"),
            "deductionPercentage": Const(100),
        },
    )
)


def _party(name: str, path: str, role: Role) -> Model:
    """Customer and Supplier: the spec gives both both numbers (0 where the party is not one)."""
    return register(
        Model(
            name,
            path,
            {
                "id": Raw("id"),
                "version": ZERO,
                "url": url(path),
                "name": Raw("name"),
                "customerNumber": Computed(lambda p, ctx: party_number(p, Role.CUSTOMER)),
                "supplierNumber": Computed(lambda p, ctx: party_number(p, Role.SUPPLIER)),
                "organizationNumber": Computed(lambda p, ctx: party_organization_number(p)),
                "displayName": Raw("name"),
                "isCustomer": Computed(lambda p, ctx: _is(p, Role.CUSTOMER)),
                "isSupplier": Computed(lambda p, ctx: _is(p, Role.SUPPLIER)),
                "isInactive": Computed(lambda p, ctx: is_inactive(p)),
            },
        )
    )


def _is(party: Party, role: Role) -> bool:
    return party.role is role or is_foreign(party)


CUSTOMER = _party("Customer", "customer", Role.CUSTOMER)
SUPPLIER = _party("Supplier", "supplier", Role.SUPPLIER)
