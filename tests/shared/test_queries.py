"""Named queries: the parser, the files by table, the names the code uses, and every statement
prepares against the migrated schema."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import asyncpg
import pytest

from shared.db.queries import Q, merge_queries, parse_queries
from worker.sync.scheduler import LOST_STEPS

ROOT = Path(__file__).resolve().parents[2]
#: a literal use of a named query in Python, e.g. Q["org_insert"]
USE = re.compile(r"""\bQ\[\s*["']([a-z_][a-z0-9_]*)["']\s*\]""")


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


def test_merge_queries_refuses_a_name_defined_in_two_files() -> None:
    files = {
        "organizations.sql": "-- organizations\n\n-- name: org_x\nSELECT 1;\n",
        "chunks.sql": "-- name: chunk_y\nSELECT 2;\n-- name: org_x\nSELECT 3;\n",
    }
    with pytest.raises(ValueError, match=r"'org_x' is defined twice: in chunks.sql and in org"):
        merge_queries(files)
    with pytest.raises(ValueError, match=r"^chunks.sql: query 'a' is defined twice$"):
        merge_queries({"chunks.sql": "-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n"})
    assert dict(merge_queries({"a.sql": files["organizations.sql"]})) == {"org_x": "SELECT 1"}


def test_every_sql_file_of_the_package_is_loaded() -> None:
    sql_files = [
        f for f in resources.files("shared.db.queries").iterdir() if f.name.endswith(".sql")
    ]
    assert len(sql_files) >= 5
    for f in sql_files:
        names = parse_queries(f.read_text("utf-8"))
        assert names, f"{f.name} holds no named query"
        assert all(Q[name] == sql for name, sql in names.items())


def test_every_query_name_the_code_uses_exists() -> None:
    used: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if {".venv", ".git", "node_modules"} & set(path.relative_to(ROOT).parts):
            continue
        for name in USE.findall(path.read_text("utf-8")):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    for name, _actor in LOST_STEPS:  # the scheduler's Q[query] over a table of names
        used.setdefault(name, set()).add("worker/scheduler.py")
    assert len(used) >= 100
    missing = {name: sorted(where) for name, where in used.items() if name not in Q}
    assert missing == {}


async def test_every_named_query_prepares_against_the_migrated_schema(
    pg: asyncpg.Connection,
) -> None:
    assert len(Q) >= 5
    failures = {}
    async with pg.transaction():
        await pg.execute(Q["chunk_stage_create"])  # the temp tables some statements read
        await pg.execute(Q["saft_stage_create"])
        await pg.execute(Q["saft_vouchers_create"])
        await pg.execute(Q["saft_masters_create"])
        for name, sql in Q.items():
            try:
                await pg.prepare(sql)
            except asyncpg.PostgresError as exc:
                failures[name] = f"{type(exc).__name__}: {exc}"
    assert failures == {}
