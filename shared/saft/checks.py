"""The rules over many elements: control totals, balanced vouchers, split sets; warnings.

`Ledger` is fed the reader's events in order and raises the first error it meets; what it
tallies (per year, per account) is what the importer stores beside the postings. Duplicate
TransactionIDs are found by the importer over the staged rows, so memory here stays constant.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from shared.saft.errors import (
    ControlTotalMismatch,
    MismatchedParts,
    UnbalancedTransaction,
    WrongCompany,
)
from shared.saft.model import (
    Account,
    Event,
    FileEnd,
    Header,
    Period,
    Totals,
    Transaction,
    span_of,
)
from shared.saft.values import where

#: accounts named in a warning, at most
SHOWN = 5
ZERO = Decimal(0)


@dataclass(slots=True)
class YearCount:
    """Transactions and postings read for one year."""

    transactions: int = 0
    postings: int = 0


@dataclass(slots=True)
class _FileTally:
    """What one file's transactions add up to, against its control totals."""

    totals: Totals | None = None
    transactions: int = 0
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def _years() -> dict[int, YearCount]:
    return defaultdict(YearCount)


def _nets() -> dict[str, Decimal]:
    return defaultdict(Decimal)


@dataclass(slots=True)
class Ledger:
    """Checks a file (or a split set, part after part) as its events arrive."""

    header: Header | None = None
    accounts: dict[str, Account] = field(default_factory=dict)
    years: dict[int, YearCount] = field(default_factory=_years)
    transactions: int = 0
    postings: int = 0
    first_date: dt.date = dt.date.max
    last_date: dt.date = dt.date.min
    outside_period: int = 0
    #: the control totals of the files read so far, each proved against its lines
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO
    _periods: list[Period] = field(default_factory=list)
    _nets: dict[str, Decimal] = field(default_factory=_nets)
    _file: _FileTally = field(default_factory=_FileTally)
    _name: str = ""

    def next_file(self, name: str) -> None:
        """Say which file the next events come from (for sentences)."""
        self._name = name
        self._file = _FileTally()

    def feed(self, event: Event) -> None:
        """Check one event."""
        if isinstance(event, Transaction):
            self.transaction(event)
        elif isinstance(event, Account):
            self.accounts[event.account_id] = event
        elif isinstance(event, Totals):
            self._file.totals = event
        elif isinstance(event, Header):
            self._header(event)
        elif isinstance(event, FileEnd):
            self._end_file(event.name)

    def transaction(self, txn: Transaction) -> None:
        """A voucher must balance; tally it."""
        if txn.debit != txn.credit:
            raise UnbalancedTransaction(
                f"{where('Transaction', txn.line, self._name)} (TransactionID "
                f"{txn.transaction_id!r}) does not balance: its debit lines sum to {txn.debit} "
                f"and its credit lines to {txn.credit}; correct the voucher and export again.",
                element="Transaction",
                line=txn.line,
                file=self._name,
            )
        tally = self._file
        tally.transactions += 1
        tally.debit += txn.debit
        tally.credit += txn.credit
        count = self.years[txn.date.year]
        count.transactions += 1
        count.postings += len(txn.postings)
        self.transactions += 1
        self.postings += len(txn.postings)
        nets = self._nets
        for posting in txn.postings:
            nets[posting.account_id] += posting.amount
        date = txn.date
        self.first_date = min(self.first_date, date)
        self.last_date = max(self.last_date, date)
        if self._periods and not self._periods[-1].start <= date <= self._periods[-1].end:
            self.outside_period += 1

    def _header(self, header: Header) -> None:
        first = self.header
        if first is None:
            self.header = first = header
        if (header.org_number, header.currency) != (first.org_number, first.currency):
            raise MismatchedParts(
                f"{where('Header', header.line, self._name)} is for company {header.org_number} "
                f"in {header.currency}, but the first part is for {first.org_number} in "
                f"{first.currency}; import the parts of one export together.",
                element="Header",
                line=header.line,
                file=self._name,
            )
        if header.period is not None:
            self._periods.append(header.period)

    def _end_file(self, name: str) -> None:
        tally = self._file
        totals = tally.totals or Totals(0, ZERO, ZERO)
        pairs = (
            ("NumberOfEntries", totals.entries, tally.transactions),
            ("TotalDebit", totals.debit, tally.debit),
            ("TotalCredit", totals.credit, tally.credit),
        )
        for element, said, found in pairs:
            if said == found:
                continue
            line = totals.lines.get(element, 1)
            holds = (
                f"the file holds {found} transactions"
                if element == "NumberOfEntries"
                else f"the lines' {element[5:]}Amounts sum to {found}"
            )
            raise ControlTotalMismatch(
                f"{where(element, line, name)} says {said}, but {holds}; the file is incomplete "
                "or was changed after export: export it again.",
                element=element,
                line=line,
                file=name,
            )
        self.total_debit += totals.debit
        self.total_credit += totals.credit

    def period(self) -> Period | None:
        """The set's selection period (all parts'), else the transactions' first to last day."""
        if self._periods:
            return span_of(self._periods)
        if self.transactions:
            return Period(self.first_date, self.last_date)
        return None

    def warnings(self) -> list[str]:
        """Sentences about what is imported but looks wrong (roll-forward, dates, currency)."""
        found = []
        if self.header is not None and self.header.currency != "NOK":
            found.append(f"The file's amounts are in {self.header.currency}, not NOK.")
        if self.outside_period:
            found.append(
                f"{self.outside_period} transaction(s) are dated outside the selection period."
            )
        off = self.roll_forward_differences()
        if off:
            shown = ", ".join(f"{a} ({d:+})" for a, d in list(off.items())[:SHOWN])
            more = f" and {len(off) - SHOWN} more" if len(off) > SHOWN else ""
            found.append(
                f"{len(off)} account(s) do not roll forward (closing minus opening and "
                f"movements): {shown}{more}."
            )
        return found

    def roll_forward_differences(self) -> dict[str, Decimal]:
        """Per account with both balances: closing - (opening + movements), where not zero."""
        off = {}
        for account_id, account in sorted(self.accounts.items()):
            if account.opening is None or account.closing is None:
                continue
            difference = account.closing - (account.opening + self._nets.get(account_id, ZERO))
            if difference:
                off[account_id] = difference
        return off


def check_company(header: Header, org_name: str, org_number: str | None, file: str) -> None:
    """WrongCompany when the organization already holds another company's ledger."""
    if org_number is None or org_number == header.org_number:
        return
    raise WrongCompany(
        f"{file} is for {header.company_name} ({header.org_number}), but {org_name} holds the "
        f"ledger of company {org_number}; import it into that company's organization, or "
        "register a new one with `ledgersync org add NAME --method saft`.",
        element="RegistrationNumber",
        line=header.line,
        file=file,
    )
