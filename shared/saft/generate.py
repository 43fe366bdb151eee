"""Synthetic SAF-T Financial files, written as a stream: for tests, the benchmark and demos.

Deterministic from a `Spec`: the control totals and the closing balances are computed in a
first pass over the same numbers, so any size is written in constant memory. A `Fault` plants
one kind of error (or a warning) at transaction `fault_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO
from xml.sax.saxutils import escape

from shared.saft.model import NS

#: (AccountID, description): debits go to the first ones, every voucher's credit to the last
CHART = (
    ("1500", "Kundefordringer"),
    ("1920", "Bankinnskudd"),
    ("3000", "Salgsinntekt"),
    ("4000", "Varekostnad"),
    ("5000", "Lønn"),
    ("6300", "Leie lokaler"),
    ("6800", "Kontorrekvisita"),
    ("7100", "Bilgodtgjørelse"),
    ("2400", "Leverandørgjeld"),
)
DEBIT_ACCOUNTS = CHART[:-1]
CREDIT_ACCOUNT = CHART[-1]


class Fault(StrEnum):
    """What is wrong with a generated file."""

    NOT_XML = "not_xml"
    TRUNCATED = "truncated"
    NO_NAMESPACE = "no_namespace"
    WRONG_NAMESPACE = "wrong_namespace"
    UNKNOWN_VERSION = "unknown_version"
    WRONG_ENTRIES = "wrong_entries"
    WRONG_DEBIT = "wrong_debit"
    WRONG_CREDIT = "wrong_credit"
    UNBALANCED = "unbalanced"
    BOTH_SIDES = "both_sides"
    NO_SIDE = "no_side"
    UNKNOWN_ACCOUNT = "unknown_account"
    DUPLICATE_ID = "duplicate_id"
    BAD_AMOUNT = "bad_amount"
    #: a warning only: one account's closing balance does not roll forward
    ROLL_FORWARD = "roll_forward"


@dataclass(frozen=True, slots=True)
class Spec:
    """What to generate."""

    transactions: int = 10
    #: lines per transaction (at least 2: debits, then one credit)
    lines: int = 3
    year: int = 2025
    version: str = "1.30"
    org_number: str = "999999999"
    company: str = "Generert AS"
    #: changes every amount: a "corrected" file of the same period uses another seed
    seed: int = 1
    fault: Fault | None = None
    #: the transaction the fault is planted in (default: the middle one)
    fault_at: int | None = None
    #: the first TransactionID (parts of a split set continue the numbering)
    first_id: int = 1
    #: write the MasterFiles (only the first part of a split set does)
    master_files: bool = True
    #: the namespace prefix, "" for a default namespace
    prefix: str = ""
    #: part n of N, for the file name; (1, 1) for a whole file
    part: tuple[int, int] = (1, 1)
    #: the transactions this file holds, [start, stop) of all of them (a part of a split set)
    vouchers: tuple[int, int] | None = None

    def span(self) -> range:
        """The indexes of the transactions this file holds."""
        return range(*(self.vouchers or (0, self.transactions)))

    def name(self) -> str:
        """Skatteetaten's file name for it."""
        n, of = self.part
        return f"SAF-T Financial_{self.org_number}_{self.year}1231235959_{n}_{of}.xml"


@dataclass(slots=True)
class Written:
    """What a generated file holds (the truth tests compare with)."""

    transactions: int = 0
    postings: int = 0
    debit: int = 0
    credit: int = 0
    #: net cents per account
    nets: dict[str, int] = field(default_factory=dict)


def _cents(i: int, j: int, seed: int) -> int:
    return (i * 7919 + j * 104729 + seed * 15485863) % 1_000_000 + 100


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _date(spec: Spec, i: int) -> dt.date:
    start = dt.date(spec.year, 1, 1)
    return start + dt.timedelta(days=(i * 365 // max(spec.transactions, 1)) % 365)


def _voucher(spec: Spec, i: int) -> tuple[list[tuple[str, int]], int]:
    """(debit lines as (account, cents), credit cents) of transaction i."""
    debits = [
        (DEBIT_ACCOUNTS[(i + j) % len(DEBIT_ACCOUNTS)][0], _cents(i, j, spec.seed))
        for j in range(spec.lines - 1)
    ]
    credit = sum(c for _, c in debits)
    if spec.fault is Fault.UNBALANCED and i == _fault_at(spec):
        credit += 1
    return debits, credit


def _fault_at(spec: Spec) -> int:
    return spec.transactions // 2 if spec.fault_at is None else spec.fault_at


def tally(spec: Spec) -> Written:
    """The file's numbers without writing it (the first pass); `nets` are the whole set's."""
    found = Written(nets={a: 0 for a, _ in CHART})
    mine = spec.span()
    for i in range(spec.transactions):
        debits, credit = _voucher(spec, i)
        for account, cents in debits:
            found.nets[account] += cents
        found.nets[CREDIT_ACCOUNT[0]] -= credit
        if i in mine:
            found.debit += sum(cents for _, cents in debits)
            found.credit += credit
            found.postings += len(debits) + 1
            found.transactions += 1
    return found


def write(out: IO[str], spec: Spec) -> Written:
    """Write the file to `out`; return its numbers."""
    if spec.fault is Fault.NOT_XML:
        out.write("Dette er ikke en SAF-T-fil, men et regneark eksportert som tekst.\n")
        return Written()
    totals = tally(spec)
    for chunk in _document(spec, totals):
        out.write(chunk)
    return totals


def _document(spec: Spec, totals: Written) -> Iterator[str]:
    p = f"{spec.prefix}:" if spec.prefix else ""
    namespace = {Fault.NO_NAMESPACE: None, Fault.WRONG_NAMESPACE: "urn:example:not-saft"}.get(
        spec.fault or Fault.NOT_XML, NS
    )
    xmlns = (
        ""
        if namespace is None
        else (f' xmlns{":" + spec.prefix if spec.prefix else ""}="{namespace}"')
    )
    version = "2.00" if spec.fault is Fault.UNKNOWN_VERSION else spec.version
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}AuditFile{xmlns}>\n'
    yield _header(spec, p, version)
    if spec.master_files:
        yield _master_files(spec, p, totals)
    entries = totals.transactions + (1 if spec.fault is Fault.WRONG_ENTRIES else 0)
    debit = totals.debit + (1 if spec.fault is Fault.WRONG_DEBIT else 0)
    credit = totals.credit + (1 if spec.fault is Fault.WRONG_CREDIT else 0)
    yield (
        f"  <{p}GeneralLedgerEntries>\n"
        f"    <{p}NumberOfEntries>{entries}</{p}NumberOfEntries>\n"
        f"    <{p}TotalDebit>{_money(debit)}</{p}TotalDebit>\n"
        f"    <{p}TotalCredit>{_money(credit)}</{p}TotalCredit>\n"
        f"    <{p}Journal>\n      <{p}JournalID>GL</{p}JournalID>\n"
        f"      <{p}Description>Generated journal</{p}Description>\n      <{p}Type>GL</{p}Type>\n"
    )
    for i in spec.span():
        yield _transaction(spec, p, i)
        if spec.fault is Fault.TRUNCATED and i == _fault_at(spec):
            return
    yield f"    </{p}Journal>\n  </{p}GeneralLedgerEntries>\n</{p}AuditFile>\n"


def _header(spec: Spec, p: str, version: str) -> str:
    return (
        f"  <{p}Header>\n    <{p}AuditFileVersion>{version}</{p}AuditFileVersion>\n"
        f"    <{p}AuditFileCountry>NO</{p}AuditFileCountry>\n"
        f"    <{p}AuditFileDateCreated>{spec.year + 1}-01-15</{p}AuditFileDateCreated>\n"
        f"    <{p}SoftwareCompanyName>ledgersync</{p}SoftwareCompanyName>\n"
        f"    <{p}SoftwareID>generator</{p}SoftwareID>\n"
        f"    <{p}SoftwareVersion>1</{p}SoftwareVersion>\n    <{p}Company>\n"
        f"      <{p}RegistrationNumber>{spec.org_number}</{p}RegistrationNumber>\n"
        f"      <{p}Name>{escape(spec.company)}</{p}Name>\n    </{p}Company>\n"
        f"    <{p}DefaultCurrencyCode>NOK</{p}DefaultCurrencyCode>\n"
        f"    <{p}SelectionCriteria>\n"
        f"      <{p}PeriodStart>1</{p}PeriodStart>"
        f"<{p}PeriodStartYear>{spec.year}</{p}PeriodStartYear>\n"
        f"      <{p}PeriodEnd>12</{p}PeriodEnd><{p}PeriodEndYear>{spec.year}</{p}PeriodEndYear>\n"
        f"    </{p}SelectionCriteria>\n"
        f"    <{p}TaxAccountingBasis>A</{p}TaxAccountingBasis>\n  </{p}Header>\n"
    )


def _master_files(spec: Spec, p: str, totals: Written) -> str:
    accounts = []
    for account, description in CHART:
        closing = totals.nets[account] + (
            100 if spec.fault is Fault.ROLL_FORWARD and account == CHART[0][0] else 0
        )
        side = "Debit" if closing >= 0 else "Credit"
        accounts.append(
            f"      <{p}Account>\n        <{p}AccountID>{account}</{p}AccountID>\n"
            f"        <{p}AccountDescription>{escape(description)}</{p}AccountDescription>\n"
            f"        <{p}GroupingCategory>NA</{p}GroupingCategory>"
            f"<{p}GroupingCode>NA</{p}GroupingCode>\n"
            f"        <{p}AccountType>GL</{p}AccountType>\n"
            f"        <{p}OpeningDebitBalance>0.00</{p}OpeningDebitBalance>\n"
            f"        <{p}Closing{side}Balance>{_money(abs(closing))}</{p}Closing{side}Balance>\n"
            f"      </{p}Account>\n"
        )
    return (
        f"  <{p}MasterFiles>\n    <{p}GeneralLedgerAccounts>\n{''.join(accounts)}"
        f"    </{p}GeneralLedgerAccounts>\n  </{p}MasterFiles>\n"
    )


def _transaction(spec: Spec, p: str, i: int) -> str:
    debits, credit = _voucher(spec, i)
    faulty = i == _fault_at(spec)
    number = spec.first_id + i - (1 if faulty and spec.fault is Fault.DUPLICATE_ID and i else 0)
    date = _date(spec, i).isoformat()
    lines = [
        _line(p, _Line(j + 1, account, cents, "Debit", date))
        for j, (account, cents) in enumerate(debits)
    ]
    lines.append(_line(p, _Line(len(debits) + 1, CREDIT_ACCOUNT[0], credit, "Credit", date)))
    if faulty:
        lines[0] = _plant(spec.fault, lines[0], p)
    return (
        f"      <{p}Transaction>\n        <{p}TransactionID>{number}</{p}TransactionID>\n"
        f"        <{p}Period>{int(date[5:7])}</{p}Period>"
        f"<{p}PeriodYear>{spec.year}</{p}PeriodYear>\n"
        f"        <{p}TransactionDate>{date}</{p}TransactionDate>\n"
        f"        <{p}SourceID>EMP1</{p}SourceID><{p}VoucherType>GL</{p}VoucherType>\n"
        f"        <{p}Description>Voucher {number}</{p}Description>\n"
        f"        <{p}SystemEntryDate>{date}</{p}SystemEntryDate>"
        f"<{p}GLPostingDate>{date}</{p}GLPostingDate>\n"
        f"{''.join(lines)}      </{p}Transaction>\n"
    )


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of a generated transaction: its record number, account, amount and side."""

    record: int
    account: str
    cents: int
    #: "Debit" or "Credit", as the amount's element is named
    side: str
    #: the transaction's date, ISO
    date: str


def _line(p: str, line: _Line) -> str:
    return (
        f"        <{p}Line>\n          <{p}RecordID>{line.record}</{p}RecordID>\n"
        f"          <{p}AccountID>{line.account}</{p}AccountID>\n"
        f"          <{p}Analysis><{p}AnalysisType>A</{p}AnalysisType>"
        f"<{p}AnalysisID>{line.record * 100}</{p}AnalysisID></{p}Analysis>\n"
        f"          <{p}ValueDate>{line.date}</{p}ValueDate>\n"
        f"          <{p}Description>Line {line.record} of a generated voucher</{p}Description>\n"
        f"          <{p}{line.side}Amount><{p}Amount>{_money(line.cents)}</{p}Amount>"
        f"</{p}{line.side}Amount>\n"
        f"          <{p}ReferenceNumber>{line.record}</{p}ReferenceNumber>\n"
        f"        </{p}Line>\n"
    )


def _plant(fault: Fault | None, line: str, p: str) -> str:
    """A first debit line with the fault planted in it."""
    debit = f"<{p}DebitAmount>"
    if fault is Fault.BOTH_SIDES:
        return line.replace(
            debit, f"<{p}CreditAmount><{p}Amount>0.00</{p}Amount></{p}CreditAmount>{debit}"
        )
    if fault is Fault.NO_SIDE:
        return (
            line.replace(debit, "<!-- no side -->")
            .replace(f"</{p}DebitAmount>", "")
            .replace(f"<{p}Amount>", f"<{p}Quantity>")
            .replace(f"</{p}Amount>", f"</{p}Quantity>")
        )
    if fault is Fault.UNKNOWN_ACCOUNT:
        start = line.index(f"<{p}AccountID>") + len(f"<{p}AccountID>")
        return line[:start] + "9999" + line[line.index(f"</{p}AccountID>") :]
    if fault is Fault.BAD_AMOUNT:
        start = line.index(f"<{p}Amount>") + len(f"<{p}Amount>")
        end = line.index(f"</{p}Amount>")
        return line[:start] + line[start:end] + "5" + line[end:]
    return line


def transactions_for(size_bytes: int, spec: Spec) -> int:
    """About how many transactions make a file of `size_bytes`."""
    sample = len(_transaction(spec, "", 1).encode())
    return max(1, size_bytes // sample)
