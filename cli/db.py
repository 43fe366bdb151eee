"""`ledgersync db …`: the database and its schema."""

from __future__ import annotations

import click

from cli.common import load_settings, run_async
from shared.crypto import TokenCipher, WrongSecretKey
from shared.db import connect, describe_target, ensure_database
from shared.db.migrate import migrate
from shared.embedded import servers_for
from shared.orgs import check_key, fingerprint_stored


@click.group()
def db() -> None:
    """The database and its schema."""


@db.command("migrate")
def db_migrate() -> None:
    """Bring the schema up to date (idempotent)."""
    configured = load_settings()
    with servers_for(configured) as settings:
        assert settings.database_url is not None
        url, create = settings.database_url, configured.database_url is None
        applied = run_async(lambda: migrate(url, create=create))
        key = settings.secret_key
        fingerprinted = run_async(lambda: _fingerprint(url, key)) if key else 0
    if applied:
        click.echo("Applied: " + ", ".join(applied))
    else:
        click.echo("Schema is up to date.")
    if fingerprinted:
        click.echo(f"Fingerprinted {fingerprinted} stored token(s).")


async def _fingerprint(url: str, secret_key: str) -> int:
    """Fingerprint the tokens stored without one, if the key is the one they were stored with."""
    conn = await connect(url)
    try:
        cipher = TokenCipher(secret_key)
        await check_key(conn, cipher)
        return await fingerprint_stored(conn, cipher)
    except WrongSecretKey:
        click.echo(
            "LEDGERSYNC_SECRET_KEY is not the key the tokens were stored with: they stay without "
            "a fingerprint until a worker starts with the right one.",
            err=True,
        )
        return 0
    finally:
        await conn.close()


@db.command("create")
def db_create() -> None:
    """Create the database named by LEDGERSYNC_DATABASE_URL if it is missing (idempotent)."""
    with servers_for(load_settings()) as settings:
        assert settings.database_url is not None
        url = settings.database_url
        created = run_async(lambda: ensure_database(url))
    where = describe_target(url)
    click.echo(f"Created {where}." if created else f"{where} exists already.")
