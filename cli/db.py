"""`ledgersync db …`: the schema."""

from __future__ import annotations

import click

from cli.common import run_async, servers
from shared.db.migrate import migrate


@click.group()
def db() -> None:
    """The database schema."""


@db.command("migrate")
def db_migrate() -> None:
    """Bring the schema up to date (idempotent)."""
    with servers(migrate=False) as settings:
        assert settings.database_url is not None
        url = settings.database_url
        applied = run_async(lambda: migrate(url))
    if applied:
        click.echo("Applied: " + ", ".join(applied))
    else:
        click.echo("Schema is up to date.")
