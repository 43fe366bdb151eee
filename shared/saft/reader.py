"""Streaming reader of SAF-T Financial files: events in document order, in constant memory.

`shared.saft.walk` hands over each record (Header, Account, Customer, Supplier, TaxCodeDetails,
Transaction, a control total) as it ends and frees everything else, known or not, so the tree
never grows whatever the file holds. Elements are matched on namespace and local name, never
on prefix. Line-level problems (a line with both sides or neither, an amount that is not one,
an account missing from the MasterFiles) are raised here, as the line is read; rules over many
elements are `shared.saft.checks`'.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from lxml import etree

from shared.saft.errors import InvalidSaftFile, InvalidValue, NotXml
from shared.saft.lines import LineReader
from shared.saft.masters import PARENTS, account_extras, read_master, whole_ore
from shared.saft.model import NS, Account, Event, FileEnd, Header, Period, Totals
from shared.saft.values import account_id as checked_account_id
from shared.saft.values import amount as read_amount
from shared.saft.values import (
    check_version,
    checked_period,
    missing,
    month_of_period,
    optional_amount,
    period_of_months,
    required,
    year,
)
from shared.saft.values import date as read_date
from shared.saft.walk import check_root, doctype_position, records

Element = Any  # lxml's _Element: untyped


def q(local: str) -> str:
    """`{namespace}local`, the way lxml names a qualified element."""
    return f"{{{NS}}}{local}"


_TOTALS = ("NumberOfEntries", "TotalDebit", "TotalCredit")
T_HEADER, T_ACCOUNT, T_TRANSACTION, T_JOURNAL_ID = (
    q("Header"),
    q("Account"),
    q("Transaction"),
    q("JournalID"),
)
T_GLE = q("GeneralLedgerEntries")
T_MASTERS = frozenset(PARENTS)
_TOTAL_TAGS = {q(t): t for t in _TOTALS}


def sniff(stream: IO[bytes], name: str) -> Header:
    """Read only the header: NotXml, WrongNamespace or UnknownVersion early, cheaply."""
    try:
        return _sniff(stream, name)
    except Exception as exc:
        raise detached(exc) from None


def _sniff(stream: IO[bytes], name: str) -> Header:
    refuse_doctype(stream, name)
    try:
        elements = records(stream, name, header_only=True)
        check_root(next(elements), name)
        header = read_header(next(elements), name)
        elements.close()
        return header
    except StopIteration:
        raise NotXml(
            f"{name} is empty; send the SAF-T Financial .xml file itself.", line=1, file=name
        ) from None
    except etree.XMLSyntaxError as exc:
        raise not_xml(exc, name) from None


def read(stream: IO[bytes], name: str, accounts: dict[str, str]) -> Iterator[Event]:
    """Every event of one file, in document order, then `FileEnd`.

    `accounts` maps AccountID to description: filled from this file's MasterFiles, and read to
    name each line's account (a split set passes the same dict to every part).
    """
    try:
        yield from _read(stream, name, accounts)
    except Exception as exc:
        raise detached(exc) from None


def _read(stream: IO[bytes], name: str, accounts: dict[str, str]) -> Iterator[Event]:
    refuse_doctype(stream, name)
    state = _FileState(name, accounts)
    try:
        elements = records(stream, name)
        check_root(next(elements), name)
        for elem in elements:
            found = state.handle(elem)
            if found is not None:
                yield found
    except etree.XMLSyntaxError as exc:
        raise not_xml(exc, name) from None
    yield FileEnd(name)


def detached(exc: BaseException) -> BaseException:
    """The error without its tracebacks (theirs held lxml's elements), here and in its chain.

    lxml's objects must be freed on the thread that parsed them: a traceback carried to
    another thread (or into a garbage cycle) would free them elsewhere, later. A failure that
    is not a refusal keeps its traceback as text in a note.
    """
    if not isinstance(exc, InvalidSaftFile):
        exc.add_note("".join(traceback.format_exception(exc)))
    current: BaseException | None = exc
    while current is not None:
        following = current.__cause__ or current.__context__
        current.__traceback__ = current.__context__ = current.__cause__ = None
        current = following
    return exc


def not_xml(exc: etree.XMLSyntaxError, name: str) -> NotXml:
    """One sentence for a file lxml cannot parse, in plain words, with line and column."""
    line, column = exc.position if exc.position else (exc.lineno or 1, 0)
    line = line or 1
    raw = _POSITION.sub("", str(exc.msg or "")).rstrip(". ")
    problem = next((plain for pattern, plain in _PLAIN if pattern.search(raw)), None)
    if problem is None:
        problem = _LIBXML_HINT.sub("", raw).strip(" ,:") or "it cannot be read"
    at = f"line {line}, column {column}" if column else f"line {line}"
    return NotXml(
        f"{name} is not well-formed XML at {at} ({problem}); export the file again and "
        "send the .xml file itself, unzipped and unchanged.",
        line=line,
        file=name,
    )


_POSITION = re.compile(r",? line \d+, column \d+$")
#: libxml2's advice to its own callers, never to a customer
_LIBXML_HINT = re.compile(r",?\s*(use|try) XML_PARSE_\w+( option)?", re.IGNORECASE)
#: libxml2's messages a customer would not understand, in plain words
_PLAIN = [
    (re.compile(r"Excessive depth", re.I), "elements are nested more than 256 levels deep"),
    (re.compile(r"[Tt]ext node too long|huge text node"), "one text is longer than 10 MB"),
    (re.compile(r"Document is empty|Start tag expected"), "it does not begin with an element"),
    (
        re.compile(r"Premature end of data|EndTag: '</' not found|Extra content at the end"),
        "it ends before its elements are closed, or goes on after them",
    ),
    (re.compile(r"Opening and ending tag mismatch"), "an element is closed by another's end tag"),
    (re.compile(r"[Ee]ntity|Entity"), "it refers to an entity this importer does not read"),
    (
        re.compile(r"[Ee]ncoding|[Cc]har(acter)? (out of range|0x)|not proper UTF"),
        "it holds bytes that are not text in its declared encoding",
    ),
    (re.compile(r"[Aa]ttribute"), "an attribute is written wrongly"),
    (re.compile(r"[Nn]amespace"), "a namespace prefix is used without being declared"),
]


def refuse_doctype(stream: IO[bytes], name: str) -> None:
    """InvalidValue when the file declares a DOCTYPE (checked on the bytes, before lxml)."""
    found = doctype_position(stream)
    if found is None:
        return
    line, column = found
    raise InvalidValue(
        f"{name} declares a DOCTYPE at line {line}, column {column}; a SAF-T Financial file has "
        "none (its entities would change values without a word): export the file again "
        "without it.",
        element="DOCTYPE",
        line=line,
        file=name,
    )


def child(elem: Element, local: str) -> Element | None:
    """The first child named `local` (qualified), or None."""
    return elem.find(q(local))


def text_of(elem: Element, local: str) -> tuple[str | None, int]:
    """A child's text and line (the parent's line when the child is absent)."""
    found = elem.find(q(local))
    return (None, elem.sourceline) if found is None else (found.text, found.sourceline)


def need(elem: Element, local: str, name: str) -> str:
    """A required child's text, stripped; InvalidValue naming it when missing or empty."""
    text, line = text_of(elem, local)
    return required(text, local, line, name).strip()


def read_header(elem: Element, name: str) -> Header:
    """The header's version, company, currency, selection period and software."""
    version = check_version(*text_of(elem, "AuditFileVersion"), name)
    company = child(elem, "Company")
    if company is None:
        raise missing("Company", elem.sourceline, name)
    org_number = need(company, "RegistrationNumber", name)
    company_name = need(company, "Name", name)
    currency = need(elem, "DefaultCurrencyCode", name)
    software = " ".join(
        filter(
            None,
            (elem.findtext(q(t)) for t in ("SoftwareCompanyName", "SoftwareID", "SoftwareVersion")),
        )
    )
    criteria = child(elem, "SelectionCriteria")
    period = None if criteria is None else read_period(criteria, name)
    return Header(version, org_number, company_name, currency, period, software, elem.sourceline)


def read_period(criteria: Element, name: str) -> Period | None:
    """The selection period by dates or by accounting periods; None when neither is given."""
    line = criteria.sourceline
    if child(criteria, "SelectionStartDate") is not None:
        start = read_date(
            criteria.findtext(q("SelectionStartDate")), "SelectionStartDate", line, name
        )
        end = read_date(criteria.findtext(q("SelectionEndDate")), "SelectionEndDate", line, name)
        return checked_period(Period(start, end), line, name)
    if child(criteria, "PeriodStart") is None:
        return None
    values = [
        reader(criteria.findtext(q(local)), local, line, name)
        for local, reader in (
            ("PeriodStartYear", year),
            ("PeriodStart", month_of_period),
            ("PeriodEndYear", year),
            ("PeriodEnd", month_of_period),
        )
    ]
    return checked_period(period_of_months(*values), line, name)


def read_account(elem: Element, name: str) -> Account:
    """A general ledger account with its opening and closing net balances."""
    account_id = checked_account_id(need(elem, "AccountID", name), elem.sourceline, name)
    description = elem.findtext(q("AccountDescription")) or ""

    def balance(side: str) -> Decimal | None:
        found = elem.find(q(side))
        if found is None:
            return None
        return whole_ore(
            optional_amount(found.text, side, found.sourceline, name), side, found.sourceline, name
        )

    def net(debit: str, credit: str) -> Decimal | None:
        d, c = balance(debit), balance(credit)
        return None if d is None and c is None else (d or Decimal(0)) - (c or Decimal(0))

    return Account(
        account_id,
        description,
        net("OpeningDebitBalance", "OpeningCreditBalance"),
        net("ClosingDebitBalance", "ClosingCreditBalance"),
        elem.sourceline,
        *account_extras(elem),
    )


class _FileState:
    """What reading one file remembers between elements."""

    def __init__(self, name: str, accounts: dict[str, str]) -> None:
        self.name = name
        self.accounts = accounts
        self.journal_id = ""
        self.totals: dict[str, tuple[str | None, int]] = {}
        self.lines = LineReader(name, accounts)

    def handle(self, elem: Element) -> Event | None:
        """The event for an element that ended (or None), the element freed."""
        tag = elem.tag
        found: Event | None = None
        if tag == T_TRANSACTION:
            found = self.lines.transaction(elem, self.journal_id)
        elif tag == T_JOURNAL_ID:
            self.journal_id = elem.text or ""
        elif tag == T_ACCOUNT:
            account = read_account(elem, self.name)
            self.accounts[account.account_id] = account.description
            found = account
        elif tag in T_MASTERS:
            found = read_master(elem, self.name)
        elif tag == T_HEADER:
            found = read_header(elem, self.name)
        elif tag in _TOTAL_TAGS:
            found = self._total(_TOTAL_TAGS[tag], elem)
        elif tag == T_GLE and len(self.totals) < len(_TOTALS):
            absent = next(t for t in _TOTALS if t not in self.totals)
            raise missing(absent, elem.sourceline, self.name)
        return found

    def _total(self, local: str, elem: Element) -> Totals | None:
        self.totals[local] = (elem.text, elem.sourceline)
        if len(self.totals) < len(_TOTALS):
            return None
        (entries, n_line), (debit, d_line), (credit, c_line) = (self.totals[t] for t in _TOTALS)
        count = (entries or "").strip().removeprefix("+")
        if not (count.isascii() and count.isdigit()):
            raise missing("NumberOfEntries", n_line, self.name)
        return Totals(
            int(count),
            read_amount(debit, "TotalDebit", d_line, self.name),
            read_amount(credit, "TotalCredit", c_line, self.name),
            {"NumberOfEntries": n_line, "TotalDebit": d_line, "TotalCredit": c_line},
        )
