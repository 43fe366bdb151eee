"""What a SAF-T Financial file holds, as far as a general-ledger import needs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

#: the namespace of every SAF-T Financial NO file, whatever prefix it goes by
NS = "urn:StandardAuditFile-Taxation-Financial:NO"
#: the root element, namespace-qualified
ROOT = f"{{{NS}}}AuditFile"


@dataclass(frozen=True, slots=True)
class Period:
    """A selection period: first and last day, both included."""

    start: dt.date
    end: dt.date

    def years(self) -> range:
        """The calendar years it touches."""
        return range(self.start.year, self.end.year + 1)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def span_of(periods: Iterable[Period | None]) -> Period | None:
    """The first day to the last of the periods given (None when none is)."""
    found = [p for p in periods if p is not None]
    if not found:
        return None
    return Period(min(p.start for p in found), max(p.end for p in found))


@dataclass(frozen=True, slots=True)
class Header:
    """The file's header: who, in which currency, for which period, by which software."""

    version: str
    org_number: str
    company_name: str
    currency: str
    #: None when the file has no SelectionCriteria (allowed before 1.30)
    period: Period | None
    software: str
    line: int


@dataclass(frozen=True, slots=True)
class Account:
    """A general ledger account of the MasterFiles, with its net balances (debit positive)."""

    account_id: str
    description: str
    opening: Decimal | None
    closing: Decimal | None
    line: int
    #: AccountType as written ("GL" in every version so far)
    account_type: str | None = None
    #: StandardAccountID (1.10/1.20), else GroupingCode (1.30 and later)
    saft_code: str | None = None


class PartyKind(StrEnum):
    """Which subledger a MasterFiles party belongs to."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"


@dataclass(frozen=True, slots=True)
class Party:
    """A Customer or Supplier of the MasterFiles: its id in the file, name, organization number."""

    kind: PartyKind
    party_id: str
    name: str | None
    registration_number: str | None
    line: int


@dataclass(frozen=True, slots=True)
class TaxCode:
    """One TaxCodeDetails of the TaxTable: the company's VAT code, its description and rate."""

    code: str
    description: str | None
    percentage: Decimal | None
    #: EffectiveDate: of several details for one code, the latest in effect is kept
    effective: dt.date | None
    line: int


@dataclass(frozen=True, slots=True)
class Totals:
    """The control totals of GeneralLedgerEntries, with the line of each."""

    entries: int
    debit: Decimal
    credit: Decimal
    #: element name -> line number
    lines: dict[str, int] = field(default_factory=dict)


class Posting(NamedTuple):
    """One line of a transaction: a signed amount (debit positive, credit negative)."""

    record_id: str
    account_id: str
    account_name: str
    amount: Decimal
    description: str | None
    currency: str | None
    #: the amount in `currency`, signed like `amount`; None for lines in the default currency
    currency_amount: Decimal | None
    line: int
    #: the line's CustomerID, SupplierID and (one) TaxInformation/TaxCode, as written
    customer_id: str | None = None
    supplier_id: str | None = None
    tax_code: str | None = None


class Transaction(NamedTuple):
    """One voucher with its lines; `debit` and `credit` are the sums of each side as written.

    A named tuple rather than a frozen dataclass: one is made per voucher, 3x cheaper.
    """

    transaction_id: str
    journal_id: str
    date: dt.date
    description: str
    line: int
    debit: Decimal
    credit: Decimal
    postings: list[Posting]


@dataclass(frozen=True, slots=True)
class FileEnd:
    """The end of one file (of a split set): its control totals can be compared now."""

    name: str


#: what the MasterFiles hold besides the accounts, yielded as each element ends
Master = Party | TaxCode
#: what the reader yields, in document order
Event = Header | Account | Party | TaxCode | Totals | Transaction | FileEnd
