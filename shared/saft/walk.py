"""The element walk under the reader: only what it reads is kept, everything else freed as it ends.

lxml's `iterparse` builds every element into one tree; left alone, an element nobody reads (an
unknown one under the root or the Header, a `Customer`, ten million nestings of `<x>`) stays in it
until its parent goes. lxml tells Python only of the root, the records and namespace
declarations; before each chunk it reads, the tree is pruned along the open path, keeping an
element only where the reader reads it: its tag is one of `WANTED[parent]` and, for a tag that
occurs once, its first occurrence. So the tree holds at most the open path (libxml2 stops at 256
levels) and the record being read, and Python touches no element the reader does not read (the
header check of a file with 1 GB of unknown elements in its Header is as fast as the import).
A record (the Header, an Account, a Transaction) is yielded at its end and removed once the
reader has read it; a Transaction spanning more than `MAX_RECORD_BYTES` is refused. The names
libxml2 interns, which no pruning frees, are bounded by `shared.saft.names`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import IO, Any

from lxml import etree

from shared.saft.errors import InvalidValue, WrongNamespace
from shared.saft.model import NS, ROOT
from shared.saft.names import Names

Element = Any  # lxml's _Element: untyped

#: a Transaction larger than this in the file is refused (its lines are all kept until its end)
MAX_RECORD_BYTES = 16 * 2**20

_P = f"{{{NS}}}"


def _tags(*locals_: str) -> frozenset[str]:
    return frozenset(_P + t for t in locals_)


#: parent -> the children the reader reads (all others are freed as they end)
WANTED: dict[str, frozenset[str]] = {
    ROOT: _tags("Header", "MasterFiles", "GeneralLedgerEntries"),
    _P + "Header": _tags(
        "AuditFileVersion",
        "Company",
        "DefaultCurrencyCode",
        "SelectionCriteria",
        "SoftwareCompanyName",
        "SoftwareID",
        "SoftwareVersion",
    ),
    _P + "Company": _tags("RegistrationNumber", "Name"),
    _P + "SelectionCriteria": _tags(
        "SelectionStartDate",
        "SelectionEndDate",
        "PeriodStart",
        "PeriodStartYear",
        "PeriodEnd",
        "PeriodEndYear",
    ),
    _P + "MasterFiles": _tags("GeneralLedgerAccounts", "Customers", "Suppliers", "TaxTable"),
    _P + "GeneralLedgerAccounts": _tags("Account"),
    _P + "Account": _tags(
        "AccountID",
        "AccountDescription",
        "StandardAccountID",
        "GroupingCode",
        "AccountType",
        "OpeningDebitBalance",
        "OpeningCreditBalance",
        "ClosingDebitBalance",
        "ClosingCreditBalance",
    ),
    _P + "Customers": _tags("Customer"),
    _P + "Customer": _tags("RegistrationNumber", "Name", "CustomerID"),
    _P + "Suppliers": _tags("Supplier"),
    _P + "Supplier": _tags("RegistrationNumber", "Name", "SupplierID"),
    _P + "TaxTable": _tags("TaxTableEntry"),
    _P + "TaxTableEntry": _tags("TaxCodeDetails"),
    _P + "TaxCodeDetails": _tags("TaxCode", "EffectiveDate", "Description", "TaxPercentage"),
    _P + "GeneralLedgerEntries": _tags("NumberOfEntries", "TotalDebit", "TotalCredit", "Journal"),
    _P + "Journal": _tags("JournalID", "Transaction"),
    _P + "Transaction": _tags("TransactionID", "TransactionDate", "Description", "Line"),
    _P + "Line": _tags(
        "RecordID",
        "AccountID",
        "DebitAmount",
        "CreditAmount",
        "Description",
        "CustomerID",
        "SupplierID",
        "TaxInformation",
    ),
    _P + "TaxInformation": _tags("TaxCode"),
    _P + "DebitAmount": _tags("Amount", "CurrencyCode", "CurrencyAmount"),
    _P + "CreditAmount": _tags("Amount", "CurrencyCode", "CurrencyAmount"),
}
#: wanted children that may occur many times (of the others only the first is kept)
MANY = _tags(
    "MasterFiles",
    "GeneralLedgerEntries",
    "Account",
    "Customer",
    "Supplier",
    "TaxTableEntry",
    "TaxCodeDetails",
    "Journal",
    "Transaction",
    "Line",
    "TaxInformation",
)
#: the elements yielded at their end: what the reader turns into events
#: (a TaxTableEntry is one so that its shell, read through, is freed too)
RECORDS = _tags(
    "Header",
    "Account",
    "Customer",
    "Supplier",
    "TaxCodeDetails",
    "TaxTableEntry",
    "JournalID",
    "Transaction",
    "NumberOfEntries",
    "TotalDebit",
    "TotalCredit",
    "GeneralLedgerEntries",
)
#: what holds records: removed at their end, empty by then
CONTAINERS = _tags(
    "MasterFiles",
    "GeneralLedgerAccounts",
    "Customers",
    "Suppliers",
    "TaxTable",
    "TaxTableEntry",
    "Journal",
)
#: records whose size in the file is watched (the others keep each child once: bounded anyway)
_BIG = _tags("Transaction")
T_HEADER = _P + "Header"

_PARSER: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "remove_comments": True,
    "remove_pis": True,
    "remove_blank_text": True,
    "huge_tree": False,
}


#: the most of a file's beginning searched for a DOCTYPE (before its first element)
_PROLOG_BYTES = 2**20


def doctype_position(stream: IO[bytes]) -> tuple[int, int] | None:
    """(line, column) of a DOCTYPE before the first element, or None; the stream is rewound.

    Skips the XML declaration, comments and processing instructions as the bytes go; lxml's
    own check at the root (`docinfo`) covers what this cannot see (UTF-16, a long prolog).
    """
    start = stream.tell()
    data = stream.read(_PROLOG_BYTES)
    stream.seek(start)
    at = 0
    while (at := data.find(b"<", at)) >= 0:
        if data.startswith(b"<!DOCTYPE", at):
            before = data[:at]
            return before.count(b"\n") + 1, at - (before.rfind(b"\n") + 1) + 1
        closing = {b"<?": b"?>", b"<!--": b"-->"}
        end = next((c for o, c in closing.items() if data.startswith(o, at)), None)
        if end is None:
            return None
        at = data.find(end, at)
        if at < 0:
            return None
    return None


class Pruning:
    """The file as lxml reads it, pruning the tree before each chunk (see `records`)."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream = stream
        self.name = name
        #: bytes handed to lxml so far
        self.n = 0
        #: set once the root has started
        self.root: Element | None = None
        #: set once the Header has started (nothing may come before it)
        self.header = False
        self.names = Names(stream, name)
        self._record: Element | None = None
        self._record_start = 0

    def read(self, size: int = -1) -> bytes:
        """The next chunk, after freeing what the parser has built that the reader never reads."""
        if self.root is not None:
            self.prune()
        elif self.n > 0:
            self._no_root_yet()
        data = self.stream.read(size)
        self.n += len(data)
        self.names.feed(data)
        return data

    def prune(self) -> None:
        """Remove every finished child that is not read along the open path (the last children).

        Only earlier siblings go, never a last child (it may still be open), so the parser's
        open elements stay in place; a record spanning more than `MAX_RECORD_BYTES` is refused.
        """
        node: Element = self.root
        if not self.header and len(node) > 0:
            raise _no_header(node[0], self.name)
        wanted: frozenset[str] | None = WANTED[ROOT]
        while node is not None and len(node) > 0:
            tag = node.tag
            if tag in _BIG:
                self._watch(node)
            last = node[-1]
            seen: set[str] = set()
            candidates = node.iterchildren(*wanted) if wanted else ()
            kept = [kid for kid in candidates if _kept(wanted, kid.tag, seen)]
            _keep_only(node, kept, last)
            wanted = WANTED.get(last.tag) if kept and kept[-1] is last else None
            node = last

    def _no_root_yet(self) -> None:
        """Refuse a root that is not AuditFile (lxml tells only of that one), or none by 1 MB."""
        first = _first_element(self.stream, self.names.origin, self.n)
        if first is not None:
            check_root(first, self.name)
        elif self.n > _PROLOG_BYTES:
            raise InvalidValue(
                f"{self.name} has no element in its first MB; send the SAF-T Financial file "
                "as exported.",
                element="AuditFile",
                line=1,
                file=self.name,
            )

    def _watch(self, record: Element) -> None:
        if record is not self._record:
            self._record, self._record_start = record, self.n
        elif self.n - self._record_start > MAX_RECORD_BYTES:
            raise _too_big(record, self.name)


def _keep_only(node: Element, kept: list[Element], last: Element) -> None:
    """Remove every child of `node` but `kept` and `last`, in runs (lxml frees them in C)."""
    keep, at = [], 0
    for kid in kept:
        at = node.index(kid, at)
        keep.append(at)
    end = len(node) - 1
    if not keep or keep[-1] != end:
        keep.append(end)
    start = 0
    runs = []
    for index in keep:
        if index > start:
            runs.append((start, index))
        start = index + 1
    for first, stop in reversed(runs):
        del node[first:stop]


def _kept(wanted: frozenset[str] | None, tag: str, seen: set[str]) -> bool:
    """Whether the reader reads a child `tag` where `wanted` are read and `seen` came before."""
    if wanted is None or tag not in wanted:
        return False
    if tag in MANY:
        return True
    if tag in seen:
        return False
    seen.add(tag)
    return True


#: every element `records` is told about: the root's start, and the records' ends
_TOLD = (ROOT, *RECORDS)


def records(stream: IO[bytes], name: str, *, header_only: bool = False) -> Generator[Element]:
    """The root, then each record as it ends, removed from the tree once read.

    lxml reports only the root, the records and namespace declarations; whatever else it
    builds is pruned before each chunk it reads (`Pruning`), and the names it interns are
    bounded (`Names`), so memory stays flat for any file. The Header must be the root's first
    child; with `header_only` the walk ends after it.
    """
    pruning = Pruning(stream, name)
    events = etree.iterparse(pruning, events=("start", "end", "start-ns"), tag=_TOLD, **_PARSER)
    for event, elem in events:
        if event == "start-ns":
            pruning.names.declared(*elem)
        elif event == "start":
            _started(pruning, elem)
            if elem is pruning.root:
                yield elem
        elif elem is pruning.root:
            break
        else:
            yield elem
            if header_only and elem.tag == T_HEADER:
                return
            _remove(elem)
    if header_only or pruning.root is None:
        raise _no_header(None, name)


def _started(pruning: Pruning, elem: Element) -> None:
    """Note the root and the Header as they start; refuse a DOCTYPE or a first child not Header."""
    if pruning.root is None:
        if elem.getroottree().docinfo.doctype:
            raise _doctype(pruning.name)
        pruning.root = elem
    elif not pruning.header:
        first = pruning.root[0] if len(pruning.root) else elem
        if first.tag != T_HEADER:
            raise _no_header(first, pruning.name)
        pruning.header = True


def _first_element(stream: IO[bytes], origin: int | None, size: int) -> Element | None:
    """The file's first element as its first `size` bytes declare it, or None; stream kept."""
    if origin is None:
        return None
    at = stream.tell()
    stream.seek(origin)
    parser = etree.XMLPullParser(events=("start",), **_PARSER)
    parser.feed(stream.read(min(size, _PROLOG_BYTES)))
    stream.seek(at)
    return next((elem for _, elem in parser.read_events()), None)


def check_root(elem: Element, name: str) -> None:
    """WrongNamespace unless the root is AuditFile in the SAF-T Financial namespace."""
    if elem.tag == ROOT:
        return
    qname = etree.QName(elem)
    found = f"in the namespace {qname.namespace}" if qname.namespace else "in no namespace"
    raise WrongNamespace(
        f"The root element <{qname.localname}> at line {elem.sourceline} of {name} is {found}; "
        f"a SAF-T Financial file has <AuditFile> in {NS}: export a SAF-T Financial file.",
        element=qname.localname,
        line=elem.sourceline,
        file=name,
    )


def _doctype(name: str) -> InvalidValue:
    return InvalidValue(
        f"{name} declares a DOCTYPE before its first element; a SAF-T Financial file has none "
        "(its entities would change values without a word): export the file again without it.",
        element="DOCTYPE",
        line=1,
        file=name,
    )


def _remove(elem: Element) -> None:
    parent = elem.getparent()
    if parent is not None:
        parent.remove(elem)
    else:
        elem.clear()


def _no_header(elem: Element | None, name: str) -> InvalidValue:
    found = "" if elem is None else f" (it begins with <{etree.QName(elem).localname}>)"
    return InvalidValue(
        f"{name} has no <Header> as the first element of <AuditFile>{found}; send the SAF-T "
        "Financial file as exported.",
        element="Header",
        line=1 if elem is None else elem.sourceline,
        file=name,
    )


def _too_big(elem: Element, name: str) -> InvalidValue:
    record = elem
    while record is not None and record.tag not in _BIG:
        record = record.getparent()
    local = etree.QName(record if record is not None else elem).localname
    line = (record if record is not None else elem).sourceline
    return InvalidValue(
        f"<{local}> at line {line} of {name} is larger than {MAX_RECORD_BYTES // 2**20} MB; a "
        f"voucher is far smaller: export the file again, or split the voucher.",
        element=local,
        line=line,
        file=name,
    )
