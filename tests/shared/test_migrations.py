"""Migrations: found in order, applied once, the second run a no-op."""

from __future__ import annotations

import asyncpg

from shared.db import connect, drop_database, with_database
from shared.db.migrate import (
    MIGRATION_NAME,
    apply_migrations,
    fresh_database,
    load_migrations,
    migrate,
)


def test_migrations_are_numbered_and_ordered() -> None:
    migrations = load_migrations()
    assert migrations, "no migrations shipped"
    versions = [m.version for m in migrations]
    assert versions == sorted(versions)
    assert versions == list(range(1, len(versions) + 1)), "versions must be contiguous from 1"
    assert all(MIGRATION_NAME.match(m.name) for m in migrations)


async def test_migrate_creates_the_database_then_is_a_no_op(template_db: str) -> None:
    url = with_database(template_db, "lstest_fresh_migrate")
    admin = await connect(with_database(template_db, "postgres"))
    await admin.execute('DROP DATABASE IF EXISTS "lstest_fresh_migrate" WITH (FORCE)')
    try:
        first = await migrate(url)
        second = await migrate(url)
        assert first == [m.name for m in load_migrations()]
        assert second == []
        conn = await connect(url)
        try:
            recorded = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
            assert [r["version"] for r in recorded] == [m.version for m in load_migrations()]
            tables = {
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                )
            }
            assert {"organizations", "postings", "schema_migrations"} <= tables
        finally:
            await conn.close()
    finally:
        await admin.execute('DROP DATABASE IF EXISTS "lstest_fresh_migrate" WITH (FORCE)')
        await admin.close()


async def test_applying_again_on_a_migrated_database_changes_nothing(
    pg: asyncpg.Connection,
) -> None:
    before = await pg.fetchval("SELECT count(*) FROM schema_migrations")
    assert await apply_migrations(pg) == []
    assert await pg.fetchval("SELECT count(*) FROM schema_migrations") == before


async def test_a_fresh_database_is_empty_and_migrated_whatever_was_there(template_db: str) -> None:
    url = with_database(template_db, "lstest_fresh_again")
    await fresh_database(url)
    conn = await connect(url)
    await conn.execute("CREATE TABLE leftover (x int)")  # and a session kept open: FORCE ends it
    try:
        await fresh_database(url)
        again = await connect(url)
        try:
            tables = {
                r["tablename"]
                for r in await again.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
        finally:
            await again.close()
        assert "leftover" not in tables
        assert {"organizations", "postings", "schema_migrations"} <= tables
    finally:
        await conn.close()
        await drop_database(url)
    admin = await connect(with_database(template_db, "postgres"))
    try:
        left = await admin.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = 'lstest_fresh_again'"
        )
    finally:
        await admin.close()
    assert left == 0
