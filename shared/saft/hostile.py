"""Hostile SAF-T files, written streamed to disk: what the tests and `bench.saft_hostile` feed.

Each is a valid generated file with `size` bytes of something no reader should keep planted in
it: unknown elements under the root or the Header or a Transaction, deep nesting, one huge text
node, namespace declarations or element names each used once (libxml2 keeps every name it
meets). Only the valid part is imported, or the file is refused with a sentence; memory must
stay flat whatever the planted part's size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from shared.saft.generate import Spec, write

#: bytes written at a time
_CHUNK = 2**20


class Hostile(StrEnum):
    """What is planted, and where."""

    #: many small elements nobody knows, between the Header and the MasterFiles
    UNKNOWN_UNDER_ROOT = "unknown_under_root"
    #: the same inside the Header (what the CLI's header check reads)
    UNKNOWN_IN_HEADER = "unknown_in_header"
    #: the same inside a Transaction, between its lines
    UNKNOWN_IN_TRANSACTION = "unknown_in_transaction"
    #: one unknown element nested `size / 8` levels deep
    DEEP = "deep"
    #: one unknown element holding one text node of `size` bytes
    HUGE_TEXT = "huge_text"
    #: unknown elements of another namespace, each nested a few levels, under the root
    FOREIGN_TREES = "foreign_trees"
    #: unknown elements under the root, each declaring a namespace of its own (prefix and URI)
    NAMESPACE_DECLARATIONS = "namespace_declarations"
    #: unknown elements under the root, each with a name of its own (libxml2 interns every one)
    DISTINCT_NAMES = "distinct_names"
    #: the same inside the Header
    DISTINCT_NAMES_IN_HEADER = "distinct_names_in_header"
    #: valid Customers, many of them, each with addresses and contacts the reader does not keep
    MANY_CUSTOMERS = "many_customers"


def write_hostile(path: Path, kind: Hostile, size: int, spec: Spec | None = None) -> None:
    """A generated file with `size` bytes of `kind` planted in it."""
    valid = _valid(spec or Spec(transactions=20))
    marker = {
        Hostile.UNKNOWN_IN_HEADER: "</Header>",
        Hostile.DISTINCT_NAMES_IN_HEADER: "</Header>",
        Hostile.UNKNOWN_IN_TRANSACTION: "<Line>",
        Hostile.MANY_CUSTOMERS: "<GeneralLedgerAccounts>",
    }.get(kind, "<MasterFiles>")
    at = valid.index(marker)
    with path.open("w", encoding="utf-8") as out:
        out.write(valid[:at])
        for chunk in _planted(kind, size):
            out.write(chunk)
        out.write(valid[at:])


#: one Customer of `Hostile.MANY_CUSTOMERS`, numbered
CUSTOMER = (
    "<Customer><RegistrationNumber>9{0:08d}</RegistrationNumber><Name>Kunde {0}</Name>"
    + "<Address><StreetName>Gate {0}</StreetName><City>Oslo</City></Address>" * 4
    + "<Contact><ContactPerson><FirstName>K</FirstName><LastName>{0}</LastName></ContactPerson>"
    "</Contact><CustomerID>{0}</CustomerID><AccountID>1500</AccountID></Customer>"
)


def _valid(spec: Spec) -> str:
    buffer = io.StringIO()
    write(buffer, spec)
    return buffer.getvalue()


def _planted(kind: Hostile, size: int) -> Iterator[str]:
    if kind is Hostile.DEEP:
        depth = size // 8
        yield from _repeat("<x>", depth)
        yield from _repeat("</x>", depth)
    elif kind is Hostile.HUGE_TEXT:
        yield "<Note>"
        yield from _repeat("a", size)
        yield "</Note>"
    elif kind is Hostile.FOREIGN_TREES:
        one = '<f:a xmlns:f="urn:x"><f:b k="v"><f:c>text</f:c><f:c/></f:b>tail</f:a>'
        yield from _repeat(one, size // len(one))
    elif kind is Hostile.NAMESPACE_DECLARATIONS:
        yield from _numbered('<p{0}:a xmlns:p{0}="urn:x:{0}">t</p{0}:a>', size)
    elif kind in (Hostile.DISTINCT_NAMES, Hostile.DISTINCT_NAMES_IN_HEADER):
        yield from _numbered("<e{0}>t</e{0}>", size)
    elif kind is Hostile.MANY_CUSTOMERS:
        yield "<Customers>"
        yield from _numbered(CUSTOMER, size)
        yield "</Customers>"
    else:
        one = "<Unknown><Inner>some text</Inner></Unknown>"
        yield from _repeat(one, size // len(one))


def _numbered(template: str, size: int) -> Iterator[str]:
    """`template` formatted with 0, 1, 2, ... while the whole fits in `size` characters."""
    number = written = 0
    while True:
        chunk: list[str] = []
        while written < size and len(chunk) < 10_000:
            one = template.format(number)
            if written + len(one) > size:
                size = written
                break
            chunk.append(one)
            number, written = number + 1, written + len(one)
        if not chunk:
            return
        yield "".join(chunk)


def _repeat(text: str, times: int) -> Iterator[str]:
    per_chunk = max(1, _CHUNK // len(text))
    while times > 0:
        n = min(per_chunk, times)
        yield text * n
        times -= n
