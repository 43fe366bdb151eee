"""The paging walker: which slices of which days make up items from..from+count (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Slice(NamedTuple):
    """Items start..stop (exclusive) of the bucket `key` (a day ordinal)."""

    key: int
    start: int
    stop: int


def walk(counts: Iterable[tuple[int, int]], offset: int, limit: int) -> list[Slice]:
    """Slices covering items offset..offset+limit of buckets given in order as (key, count)."""
    slices: list[Slice] = []
    if limit <= 0:
        return slices
    end = offset + limit
    seen = 0
    for key, count in counts:
        if seen + count > offset and count:
            start = max(offset - seen, 0)
            stop = min(end - seen, count)
            slices.append(Slice(key, start, stop))
        seen += count
        if seen >= end:
            break
    return slices


def locate(counts: Iterable[tuple[int, int]], index: int) -> tuple[int, int] | None:
    """(key, position within the bucket) of item `index`, or None past the end."""
    found = walk(counts, index, 1)
    return (found[0].key, found[0].start) if found else None
