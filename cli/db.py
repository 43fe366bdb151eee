"""`ledgersync db …`: the database and its schema."""

from __future__ import annotations

import click

from cli.common import load_settings, run_async
from shared.db import describe_target, ensure_database
from shared.db.migrate import migrate
from shared.embedded import servers_for


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
    if applied:
        click.echo("Applied: " + ", ".join(applied))
    else:
        click.echo("Schema is up to date.")


@db.command("create")
def db_create() -> None:
    """Create the database named by LEDGERSYNC_DATABASE_URL if it is missing (idempotent)."""
    with servers_for(load_settings()) as settings:
        assert settings.database_url is not None
        url = settings.database_url
        created = run_async(lambda: ensure_database(url))
    where = describe_target(url)
    click.echo(f"Created {where}." if created else f"{where} exists already.")
