"""Writes to Postgres for the pipeline: async functions taking a connection, no HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.db.queries import Q
from shared.errors import StorageError
from worker.sync.plan import Scope


class LeaseLost(StorageError):
    """Another worker took the chunk over; this worker's result is discarded."""


class BrokenPage(StorageError):
    """A page was not whole JSON (cut short on the way): nothing is written; fetch it again."""


@dataclass(frozen=True, slots=True)
class ChunkWrite:
    """What writing one chunk did."""

    total: int
    written: int
    deleted: int


@dataclass(frozen=True, slots=True)
class LeasedChunk:
    """A chunk this worker holds the lease of: its row, the lease's owner, and what it covers."""

    id: int
    owner: uuid.UUID
    org_id: int
    year: int
    scope: Scope


async def write_chunk(
    conn: asyncpg.Connection, chunk: LeasedChunk, pages: Sequence[bytes]
) -> ChunkWrite:
    """In one transaction: the scope holds exactly the pages' postings, and the chunk is done."""
    org_id, chunk_id, lease_owner, scope = chunk.org_id, chunk.id, chunk.owner, chunk.scope
    async with conn.transaction():
        # first, and held until commit: the chunk's company is still its organization's (a
        # company change removes the chunk, or waits for this write to end)
        if await conn.fetchval(Q["chunk_company_fence"], chunk_id) is None:
            raise LeaseLost(
                f"Chunk {chunk_id} belongs to a company its organization no longer "
                "synchronizes; result discarded."
            )
        # a plan for these very bounds, every time: the generic plan Postgres may switch to
        # after five runs of a prepared statement turns the merge's anti-join quadratic
        # (measured: 75 s instead of 0.2 s for 25,000 postings)
        await conn.execute(Q["chunk_plan_custom"])
        await conn.execute(Q["chunk_stage_create"])
        await conn.copy_records_to_table(
            "staged_pages", records=[(page,) for page in pages], columns=["page"]
        )
        try:
            merged = await conn.fetchrow(
                Q["chunk_merge"],
                org_id,
                scope.span.start,
                scope.span.end,
                scope.accounts.low,
                scope.accounts.high,
                None,  # every voucher of the scope
            )
        except (asyncpg.InvalidTextRepresentationError, asyncpg.CharacterNotInRepertoireError):
            raise BrokenPage(
                f"Tripletex sent a page of chunk {chunk_id} that is not whole JSON; "
                "nothing was written, and the chunk is fetched again."
            ) from None
        assert merged is not None
        finished = await conn.fetchrow(Q["chunk_finish"], chunk_id, lease_owner, merged["total"])
        if finished is None:
            raise LeaseLost(f"Chunk {chunk_id} was taken over by another worker; result discarded.")
    return ChunkWrite(merged["total"], merged["written"], merged["deleted"])


async def insert_chunk(
    conn: asyncpg.Connection, org_id: int, year: int, scope: Scope, expected: int | None = None
) -> int:
    """Plan one chunk (an existing one of the same scope is kept); returns its id."""
    chunk_id: int = await conn.fetchval(
        Q["chunk_insert"],
        org_id,
        year,
        scope.span.start,
        scope.span.end,
        expected,
        scope.accounts.low,
        scope.accounts.high,
    )
    return chunk_id
