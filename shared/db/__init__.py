"""The asyncpg pool and connections, with the jsonb codec registered on each connection."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from shared.errors import ConfigError, StorageError

#: seconds to wait for a connection before giving up with a clear error
CONNECT_TIMEOUT_S = 10.0


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def init_connection(conn: asyncpg.Connection) -> None:
    """Per-connection setup: jsonb and json come and go as Python objects."""
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(
            type_name, encoder=_dumps, decoder=orjson.loads, schema="pg_catalog"
        )


def describe_target(database_url: str) -> str:
    """The host, port and database of a DSN, without user or password, for error messages."""
    parts = urlsplit(database_url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


def missing_database(database_url: str) -> ConfigError:
    """The sentence for a database that does not exist: created only on request."""
    name = urlsplit(database_url).path.lstrip("/")
    return ConfigError(
        f"The database {name!r} does not exist at {describe_target(database_url)}; check "
        "LEDGERSYNC_DATABASE_URL for a typo, or create it with `ledgersync db create`."
    )


async def connect(database_url: str) -> asyncpg.Connection:
    """One connection, set up like the pool's; a clear StorageError when it cannot be had."""
    try:
        conn = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_S)
    except asyncpg.InvalidCatalogNameError as exc:
        raise missing_database(database_url) from exc
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise StorageError(
            f"Cannot connect to Postgres at {describe_target(database_url)} "
            f"({type(exc).__name__}); check LEDGERSYNC_DATABASE_URL or unset it to use the "
            "embedded server."
        ) from exc
    await init_connection(conn)
    return conn


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """The process's pool; max_size should be at least the number of worker threads."""
    try:
        pool = await asyncpg.create_pool(
            database_url,
            min_size=min_size,
            max_size=max_size,
            init=init_connection,
            timeout=CONNECT_TIMEOUT_S,
        )
    except asyncpg.InvalidCatalogNameError as exc:
        raise missing_database(database_url) from exc
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise StorageError(
            f"Cannot connect to Postgres at {describe_target(database_url)} "
            f"({type(exc).__name__}); check LEDGERSYNC_DATABASE_URL."
        ) from exc
    assert pool is not None
    return pool


def with_database(database_url: str, database: str) -> str:
    """The same DSN pointing at another database on the same server."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/" + database))


async def drop_database(database_url: str) -> None:
    """Drop the DSN's database if it exists, ending its sessions first."""
    name = urlsplit(database_url).path.lstrip("/")
    admin = await connect(with_database(database_url, "postgres"))
    try:
        quoted = await admin.fetchval("SELECT quote_ident($1)", name)
        await admin.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await admin.close()


async def ensure_database(database_url: str) -> bool:
    """Create the DSN's database when it does not exist; True when it was created."""
    name = urlsplit(database_url).path.lstrip("/")
    try:
        conn = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_S)
    except asyncpg.InvalidCatalogNameError:
        pass
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise StorageError(
            f"Cannot connect to Postgres at {describe_target(database_url)} "
            f"({type(exc).__name__}); check LEDGERSYNC_DATABASE_URL."
        ) from exc
    else:
        await conn.close()
        return False
    admin = await connect(with_database(database_url, "postgres"))
    try:
        # CREATE DATABASE takes no parameters; quote_ident makes the name safe.
        quoted = await admin.fetchval("SELECT quote_ident($1)", name)
        await admin.execute(f"CREATE DATABASE {quoted}")
    except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
        return False  # another process created it at the same moment
    finally:
        await admin.close()
    return True
