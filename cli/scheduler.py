"""`ledgersync scheduler`: checksum polls, nightly passes, and lost work sent again (its own
Procfile line)."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import Mapping
from typing import Any

import click

from cli.common import run_async, servers
from shared.db import create_pool
from shared.queue import sender
from worker.freshness.nightly import NIGHTLY_AT, NIGHTLY_WINDOW_S, Night
from worker.sync.scheduler import Schedule, run


def _clock(_ctx: click.Context, _param: click.Parameter, value: str) -> dt.time:
    """HH:MM -> time."""
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected HH:MM (Oslo time), e.g. 02:00") from None


def _schedule(options: Mapping[str, Any]) -> Schedule:
    """The schedule the options ask for (`--interval`: the deprecated name of `--poll-interval`)."""
    if options["interval"] is not None:
        click.echo("--interval is deprecated: use --poll-interval.", err=True)
    return Schedule(
        poll_interval_s=options["poll_interval"] or options["interval"] or 900.0,
        webhook_poll_interval_s=options["webhook_poll_interval"],
        night=Night(options["nightly_at"], options["nightly_window"]),
        requeue_after_s=options["requeue_after"],
        tick_s=options["tick"],
        care_interval_s=options["care_interval"] if options["webhooks"] else None,
    )


@click.command()
@click.option(
    "--poll-interval",
    default=None,
    type=float,
    help="Seconds between checksum polls of an organization's recent ranges.  [default: 900]",
)
@click.option(
    "--interval",
    default=None,
    type=float,
    hidden=True,
    help="Deprecated: the old hourly re-sync's interval, now --poll-interval.",
)
@click.option(
    "--webhook-poll-interval",
    default=10_800.0,
    show_default=True,
    help="Seconds between polls where webhooks deliver every voucher event.",
)
@click.option(
    "--care-interval",
    default=3600.0,
    show_default=True,
    help="Seconds between checks of an organization's webhook subscriptions.",
)
@click.option(
    "--nightly-at",
    default=NIGHTLY_AT.strftime("%H:%M"),
    show_default=True,
    callback=_clock,
    help="Oslo time the nightly full passes start.",
)
@click.option(
    "--nightly-window",
    default=NIGHTLY_WINDOW_S,
    show_default=True,
    help="Seconds the nightly passes are spread over (organizations of one token apart).",
)
@click.option(
    "--requeue-after",
    default=300.0,
    show_default=True,
    help="Seconds a queued chunk may wait before its message is sent again.",
)
@click.option("--tick", default=10.0, show_default=True, help="Seconds between rounds.")
def scheduler(**options: Any) -> None:
    """Poll synced organizations for changes, run their nightly passes, send lost work again."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C, cleanly
    with servers(need_redis=True) as settings:
        schedule = _schedule(options | {"webhooks": settings.public_url is not None})
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
