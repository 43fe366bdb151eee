"""`ledgersync scheduler`: periodic re-syncs and lost work sent again (its own Procfile line)."""

from __future__ import annotations

import asyncio
import signal

import click

from cli.common import run_async, servers
from shared.db import create_pool
from shared.queue import sender
from worker.sync.scheduler import Schedule, run


@click.command()
@click.option("--interval", default=3600.0, show_default=True, help="Seconds between re-syncs.")
@click.option(
    "--requeue-after",
    default=300.0,
    show_default=True,
    help="Seconds a queued chunk may wait before its message is sent again.",
)
@click.option("--tick", default=10.0, show_default=True, help="Seconds between rounds.")
def scheduler(interval: float, requeue_after: float, tick: float) -> None:
    """Re-sync synced organizations on an interval and send lost work again."""
    schedule = Schedule(sync_interval_s=interval, requeue_after_s=requeue_after, tick_s=tick)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C, cleanly
    with servers(need_redis=True) as settings:
        assert settings.database_url is not None
        assert settings.redis_url is not None
        database_url, redis_url = settings.database_url, settings.redis_url

        async def main() -> None:
            pool = await create_pool(database_url, max_size=2)
            broker = sender(redis_url)
            try:
                await run(pool, broker, schedule)
            except asyncio.CancelledError:
                pass
            finally:
                broker.close()
                await pool.close()

        try:
            run_async(main)
        except KeyboardInterrupt:
            click.echo("Scheduler stopped.", err=True)
