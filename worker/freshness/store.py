"""What the checksum polls read and write: `poll_ranges` and `freshness` (see `polls`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import asyncpg

from shared.db.queries import Q
from worker.freshness import ranges
from worker.freshness.ranges import PollRange
from worker.tripletex.events import Probe


@dataclass(frozen=True, slots=True)
class StoredRange:
    """A polled range as stored: what its last probe found."""

    span: PollRange
    digest: str | None = None
    content_hash: str | None = None
    vouchers: int | None = None
    checked_at: dt.datetime | None = None
    changed_at: dt.datetime | None = None

    @property
    def first(self) -> bool:
        """Never probed, nor cut from a range probed before: its first probe only records."""
        return self.content_hash is None and self.checked_at is None


async def stored_ranges(conn: asyncpg.Connection, org_id: int) -> list[StoredRange]:
    """The organization's ranges, in date order."""
    return [
        StoredRange(
            PollRange(r["date_from"], r["date_to"]),
            r["digest"],
            r["content_hash"],
            r["vouchers"],
            r["checked_at"],
            r["changed_at"],
        )
        for r in await conn.fetch(Q["poll_ranges_of_org"], org_id)
    ]


def reshaped(planned: list[PollRange], stored: list[StoredRange]) -> list[StoredRange]:
    """The planned ranges, each with what was stored of it: a range of the same shape keeps its
    digest and hash; a new shape cut from ranges probed before keeps their oldest check (so its
    first probe imports it again: a change in between would be lost otherwise), none else."""
    same = {s.span: s for s in stored}
    found = []
    for span in ranges.keep_finer(planned, same):
        if span in same:
            found.append(same[span])
            continue
        overlapping = [
            s.checked_at
            for s in stored
            if s.checked_at is not None and s.span.start < span.end and span.start < s.span.end
        ]
        found.append(StoredRange(span, checked_at=min(overlapping, default=None)))
    return found


async def refresh(conn: asyncpg.Connection, org_id: int, years: Iterable[int]) -> list[StoredRange]:
    """Plan the organization's ranges from its stored vouchers per month, and store them where
    their shape changed (in one transaction); the ranges."""
    rows = await conn.fetch(Q["postings_vouchers_per_month"], org_id)
    counts = {r["month"]: r["vouchers"] for r in rows}
    async with conn.transaction():
        stored = await stored_ranges(conn, org_id)
        wanted = reshaped(ranges.plan(counts, years), stored)
        if [s.span for s in wanted] != [s.span for s in stored]:
            await conn.execute(Q["poll_ranges_clear"], org_id)
            await insert(conn, org_id, wanted)
    return wanted


async def insert(conn: asyncpg.Connection, org_id: int, rows: Sequence[StoredRange]) -> None:
    """Store ranges (none of them stored yet)."""
    await conn.execute(
        Q["poll_ranges_insert"],
        org_id,
        [r.span.start for r in rows],
        [r.span.end for r in rows],
        [r.digest for r in rows],
        [r.content_hash for r in rows],
        [r.vouchers for r in rows],
        [r.checked_at for r in rows],
        [r.changed_at for r in rows],
    )


async def halve(conn: asyncpg.Connection, org_id: int, row: StoredRange) -> list[StoredRange]:
    """Replace a range a probe found too large by its halves; [] for one day (it cannot be)."""
    halves = ranges.halve(row.span)
    if halves is None:
        return []
    # cut from a range probed before: the halves' first probes import them again
    rows = [StoredRange(h, checked_at=row.checked_at) for h in halves]
    async with conn.transaction():
        await conn.execute(Q["poll_ranges_delete"], org_id, row.span.start)
        await insert(conn, org_id, rows)
    return rows


async def record(
    conn: asyncpg.Connection, org_id: int, row: StoredRange, probe: Probe, changed: bool
) -> StoredRange:
    """Store a probe's outcome (and whether the API's checksums work, where it told)."""
    await conn.execute(
        Q["poll_ranges_record"],
        org_id,
        row.span.start,
        probe.digest,
        probe.content_hash,
        probe.vouchers,
        changed,
    )
    if probe.checksums is not None:
        word = "supported" if probe.checksums else "unsupported"
        await conn.execute(Q["freshness_checksums"], org_id, word)
    return replace(row, digest=probe.digest, content_hash=probe.content_hash or row.content_hash)
