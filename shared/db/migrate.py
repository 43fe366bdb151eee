"""Apply the numbered SQL migrations in order, each in its own transaction, once.

Run as `ledgersync db migrate` or `python -m shared.db.migrate`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from shared.db.queries import Q
from shared.errors import StorageError

#: migration files are named NNNN_slug.sql
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
#: any fixed 64-bit number: serializes concurrent runners on one database
MIGRATION_LOCK_KEY = 7_212_044_001


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward-only schema step."""

    version: int
    name: str
    sql: str


def load_migrations() -> tuple[Migration, ...]:
    """Every migration shipped in shared/db/migrations, in version order."""
    folder = resources.files("shared.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StorageError("Two migrations share a version number; renumber one of them.")
    return tuple(found)


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply the pending migrations; return the names of those applied (empty: up to date)."""
    applied: list[str] = []
    await conn.execute(Q["migrations_lock"], MIGRATION_LOCK_KEY)
    try:
        await conn.execute(Q["migrations_create_table"])
        done = {row["version"] for row in await conn.fetch(Q["migrations_applied"])}
        for migration in load_migrations():
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(Q["migrations_record"], migration.version, migration.name)
            applied.append(migration.name)
    finally:
        await conn.execute(Q["migrations_unlock"], MIGRATION_LOCK_KEY)
    return applied


async def fresh_database(database_url: str) -> None:
    """An empty, migrated database at the DSN: the one there is dropped first (demo, benchmarks)."""
    from shared.db import drop_database

    await drop_database(database_url)
    await migrate(database_url)


async def migrate(database_url: str, *, create: bool = True) -> list[str]:
    """Apply pending migrations; first create the database if it is missing and `create` (the
    embedded server's, tests', benchmarks'), else a missing database is a ConfigError."""
    from shared.db import connect, ensure_database

    if create:
        await ensure_database(database_url)
    conn = await connect(database_url)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()


def main() -> None:
    """`python -m shared.db.migrate`: migrate the configured (or embedded) database."""
    from shared.config import Settings
    from shared.embedded import servers_for

    configured = Settings.from_env()
    with servers_for(configured) as settings:
        assert settings.database_url is not None
        url, create = settings.database_url, configured.database_url is None
        applied = asyncio.run(migrate(url, create=create))
    print("\n".join(applied) if applied else "Schema is up to date.")


if __name__ == "__main__":
    main()
