"""`ledgersync status`: queues, workers with heartbeat age, organizations by state."""

from __future__ import annotations

from typing import Any

import click
import redis

from cli.common import print_json, run_async, servers
from cli.tables import print_table
from shared.db import connect
from shared.status import alive, snapshot


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def status(as_json: bool) -> None:
    """Queues, workers with heartbeat age, organizations by state."""
    with servers(need_redis=True) as settings:
        assert settings.database_url is not None
        assert settings.redis_url is not None
        client = redis.Redis.from_url(settings.redis_url)
        url = settings.database_url

        async def read() -> dict[str, Any]:
            conn = await connect(url)
            try:
                return await snapshot(conn, client)
            finally:
                await conn.close()

        try:
            shown = run_async(read)
        finally:
            client.close()
    if as_json:
        print_json(shown)
        return
    living = alive(shown["workers"])
    stale = len(shown["workers"]) - len(living)
    click.echo(
        f"Workers alive: {len(living)}" + (f" ({stale} silent, soon forgotten)" if stale else "")
    )
    print_table(
        ["WORKER", "ID", "HEARTBEAT AGE (s)"],
        [[w["name"], w["id"][:8], w["heartbeat_age_s"]] for w in shown["workers"]],
    )
    print_table(
        ["QUEUE", "WAITING", "DELAYED", "DEAD"],
        [[q["name"], q["depth"], q["delayed"], q["dead"]] for q in shown["queues"]],
    )
    print_table(["STATE", "ORGANIZATIONS"], list(shown["organizations"].items()))
    if shown["stalls"]:
        print_table(
            ["STALLED ORGANIZATION", "IDLE (s)"],
            [[f"{o['name']} (#{o['id']})", o["idle_s"]] for o in shown["stalls"]],
        )
    if shown["outbox"]["waiting"]:
        click.echo(
            f"Outbox: {shown['outbox']['waiting']} follow-up message(s) not yet sent, the oldest "
            f"{shown['outbox']['oldest_s']} s (the workers relay it every second)"
        )
    jobs = shown["jobs"]
    click.echo(
        f"Jobs: {jobs['failed']} failed, {jobs['retrying']} retrying"
        + (" (`ledgersync jobs list` shows why)" if jobs["failed"] or jobs["retrying"] else "")
    )
