"""Reading the MasterFiles' records besides the accounts: Customer, Supplier, TaxCodeDetails.

Each is read as it ends and freed (`shared.saft.walk` keeps only the children read here, once
each), so a file with millions of them reads in flat memory; what an account adds to the
ledger import (its type, its standard code, balances in whole øre) is checked here too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.saft.errors import InvalidValue
from shared.saft.model import NS, Party, PartyKind, TaxCode
from shared.saft.values import date as read_date
from shared.saft.values import missing, optional_amount, where

Element = Any  # lxml's _Element: untyped

_P = f"{{{NS}}}"
T_CUSTOMER, T_SUPPLIER, T_TAX_CODE_DETAILS = _P + "Customer", _P + "Supplier", _P + "TaxCodeDetails"
#: the parent each record must have to be read as one (elsewhere, e.g. in SourceDocuments, not)
PARENTS = {
    T_CUSTOMER: _P + "Customers",
    T_SUPPLIER: _P + "Suppliers",
    T_TAX_CODE_DETAILS: _P + "TaxTableEntry",
}
#: the longest CustomerID/SupplierID (SAFmiddle1textType) and TaxCode (1.20 and later)
PARTY_ID_LENGTH = TAX_CODE_LENGTH = 35
#: a TaxPercentage is at most 100 with four decimals (vat_types.percentage is numeric(7, 4))
PERCENT_MAX = Decimal(100)
ORE = Decimal("0.01")


def _text(elem: Element, local: str) -> str | None:
    """A child's text, stripped; None when absent or blank."""
    text = elem.findtext(_P + local)
    return None if text is None else (text.strip() or None)


def _key(elem: Element, local: str, limit: int, name: str) -> str:
    """A required identifier of at most `limit` characters, or InvalidValue naming it."""
    found = elem.find(_P + local)
    line = elem.sourceline if found is None else found.sourceline
    text = _text(elem, local)
    if text is None:
        raise missing(local, line, name)
    if len(text) > limit:
        raise InvalidValue(
            f"{where(local, line, name)} is {len(text)} characters long; a {local} has at most "
            f"{limit}: correct it in the export.",
            element=local,
            line=line,
            file=name,
        )
    return text


def read_party(elem: Element, name: str) -> Party:
    """A Customer or Supplier: its id (required), name and organization number."""
    kind = PartyKind.CUSTOMER if elem.tag == T_CUSTOMER else PartyKind.SUPPLIER
    local = "CustomerID" if kind is PartyKind.CUSTOMER else "SupplierID"
    return Party(
        kind,
        _key(elem, local, PARTY_ID_LENGTH, name),
        _text(elem, "Name"),
        _text(elem, "RegistrationNumber"),
        elem.sourceline,
    )


def read_tax_code(elem: Element, name: str) -> TaxCode:
    """A TaxCodeDetails: the code (required), its description, percentage and effective date."""
    code = _key(elem, "TaxCode", TAX_CODE_LENGTH, name)
    found = elem.find(_P + "TaxPercentage")
    line = elem.sourceline if found is None else found.sourceline
    percentage = optional_amount(_text(elem, "TaxPercentage"), "TaxPercentage", line, name)
    if percentage is not None and not (
        0 <= percentage <= PERCENT_MAX and percentage == percentage.quantize(Decimal("0.0001"))
    ):
        raise InvalidValue(
            f"{where('TaxPercentage', line, name)} holds {percentage}, which is not a "
            "percentage from 0 to 100 with at most four decimals; correct it in the export.",
            element="TaxPercentage",
            line=line,
            file=name,
        )
    text = _text(elem, "EffectiveDate")
    line = elem.sourceline
    effective = None if text is None else read_date(text, "EffectiveDate", line, name)
    return TaxCode(code, _text(elem, "Description"), percentage, effective, line)


def read_master(elem: Element, name: str) -> Party | TaxCode | None:
    """The record of a Customer, Supplier or TaxCodeDetails in the MasterFiles (else None)."""
    parent = elem.getparent()
    if parent is None or parent.tag != PARENTS.get(elem.tag):
        return None
    if elem.tag == T_TAX_CODE_DETAILS:
        return read_tax_code(elem, name)
    return read_party(elem, name)


def account_extras(elem: Element) -> tuple[str | None, str | None]:
    """An account's AccountType and its standard code (StandardAccountID, else GroupingCode)."""
    return _text(elem, "AccountType"), _text(elem, "StandardAccountID") or _text(
        elem, "GroupingCode"
    )


def whole_ore(value: Decimal | None, element: str, line: int, name: str) -> Decimal | None:
    """A balance in whole øre (trailing zeros allowed), or InvalidValue: it is kept exactly."""
    if value is None or value == value.quantize(ORE):
        return value
    raise InvalidValue(
        f"{where(element, line, name)} holds {value}, which is not an amount in whole øre (at "
        "most two decimals); correct it in the export.",
        element=element,
        line=line,
        file=name,
    )
