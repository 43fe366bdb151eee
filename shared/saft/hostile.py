"""Hostile SAF-T files, written streamed to disk: what the tests and `bench.saft_hostile` feed.

Each is a valid generated file with `size` bytes of something no reader should keep planted in
it: unknown elements under the root or the Header or a Transaction, deep nesting, one huge text
node. Only the valid part is imported; memory must stay flat whatever the planted part's size.
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


def write_hostile(path: Path, kind: Hostile, size: int, spec: Spec | None = None) -> None:
    """A generated file with `size` bytes of `kind` planted in it."""
    valid = _valid(spec or Spec(transactions=20))
    marker = {
        Hostile.UNKNOWN_IN_HEADER: "</Header>",
        Hostile.UNKNOWN_IN_TRANSACTION: "<Line>",
    }.get(kind, "<MasterFiles>")
    at = valid.index(marker)
    with path.open("w", encoding="utf-8") as out:
        out.write(valid[:at])
        for chunk in _planted(kind, size):
            out.write(chunk)
        out.write(valid[at:])


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
    else:
        one = "<Unknown><Inner>some text</Inner></Unknown>"
        yield from _repeat(one, size // len(one))


def _repeat(text: str, times: int) -> Iterator[str]:
    per_chunk = max(1, _CHUNK // len(text))
    while times > 0:
        n = min(per_chunk, times)
        yield text * n
        times -= n
