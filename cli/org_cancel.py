"""`ledgersync org cancel` / `org resume`: stop a sync between chunks; continue it later."""

from __future__ import annotations

import getpass

import asyncpg
import click

from cli.common import run_async, servers
from shared import orgs
from shared.db import connect
from shared.queue import sender


@click.command("cancel")
@click.argument("ref", metavar="ORG")
def org_cancel(ref: str) -> None:
    """Stop the sync between chunks: running chunks finish, nothing more starts."""
    with servers() as settings:
        assert settings.database_url is not None
        url = settings.database_url

        async def work() -> tuple[str, orgs.Cancelled]:
            conn = await connect(url)
            try:
                org = await orgs.find(conn, ref)
                done = await orgs.cancel(conn, org, actor=getpass.getuser())
                return str(org["name"]), done
            finally:
                await conn.close()

        name, done = run_async(work)
    running = (
        f"{done.running} chunk(s) already running will finish"
        if done.running
        else ("no chunk was running")
    )
    click.echo(
        f"Cancelled the sync of {name}: {running}, and nothing more starts. "
        f"`ledgersync org resume {ref}` continues where it stopped."
    )


@click.command("resume")
@click.argument("ref", metavar="ORG")
def org_resume(ref: str) -> None:
    """Continue a cancelled sync where it stopped (nothing imported is imported again)."""
    with servers(need_redis=True) as settings:
        assert settings.database_url is not None
        assert settings.redis_url is not None
        url, broker = settings.database_url, sender(settings.redis_url)

        async def work() -> asyncpg.Record:
            conn = await connect(url)
            try:
                org = await orgs.find(conn, ref)
                await orgs.resume(conn, org, actor=getpass.getuser(), broker=broker)
                return org
            finally:
                await conn.close()

        try:
            org = run_async(work)
        finally:
            broker.close()
    click.echo(f"Resuming the sync of {org['name']} where it stopped.")


#: the commands this module adds to `ledgersync org`
ORG_CANCEL_COMMANDS = (org_cancel, org_resume)
