"""Named queries: the parser, and every statement prepares against the migrated schema."""

from __future__ import annotations

import asyncpg
import pytest

from shared.db.queries import Q, parse_queries


def test_parse_queries_splits_on_headers_and_drops_descriptions() -> None:
    text = (
        "-- name: first\n-- Says what it does.\nSELECT 1;\n\n"
        "-- name: second\n-- Another.\nSELECT $1::int\nWHERE true;\n"
    )
    assert dict(parse_queries(text)) == {
        "first": "SELECT 1",
        "second": "SELECT $1::int\nWHERE true",
    }


def test_parse_queries_rejects_duplicates_and_empty_statements() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")
    with pytest.raises(ValueError, match="no statement"):
        parse_queries("-- name: a\n-- only a description\n")


async def test_every_named_query_prepares_against_the_migrated_schema(
    pg: asyncpg.Connection,
) -> None:
    assert len(Q) >= 5
    failures = {}
    async with pg.transaction():
        await pg.execute(Q["chunk_stage_create"])  # the temp tables some statements read
        await pg.execute(Q["saft_stage_create"])
        await pg.execute(Q["saft_vouchers_create"])
        for name, sql in Q.items():
            try:
                await pg.prepare(sql)
            except asyncpg.PostgresError as exc:
                failures[name] = f"{type(exc).__name__}: {exc}"
    assert failures == {}
