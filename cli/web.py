"""`ledgersync web`: the webhook receiver Tripletex delivers to (its own Procfile line)."""

from __future__ import annotations

import asyncio
import os
import signal

import click
from aiohttp import web as aioweb

from cli.common import run_async, servers
from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.queue import sender
from worker.webhooks.receiver import DEBOUNCE_MS, Receiver, build_app

#: the port when neither --port nor $PORT (as honcho and most platforms set it) says
DEFAULT_PORT = 8081


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")  # noqa: S104
@click.option(
    "--port",
    type=int,
    default=None,
    help=f"Port to listen on [default: $PORT, else {DEFAULT_PORT}].",
)
@click.option(
    "--debounce-ms",
    default=DEBOUNCE_MS,
    show_default=True,
    help="Milliseconds the apply job waits after a burst's first delivery.",
)
def web(host: str, port: int | None, debounce_ms: int) -> None:
    """Receive Tripletex's webhook deliveries (at LEDGERSYNC_PUBLIC_URL/tripletex/...)."""
    port = port or int(os.environ.get("PORT") or DEFAULT_PORT)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C, cleanly
    with servers(need_redis=True) as settings:
        settings.require("database_url", "redis_url", "secret_key")
        assert settings.database_url is not None
        assert settings.redis_url is not None
        assert settings.secret_key is not None
        database_url, redis_url = settings.database_url, settings.redis_url
        cipher = TokenCipher(settings.secret_key)

        async def main() -> None:
            pool = await create_pool(database_url, max_size=4)
            broker = sender(redis_url)
            runner = aioweb.AppRunner(build_app(Receiver(pool, cipher, broker, debounce_ms)))
            try:
                await runner.setup()
                await aioweb.TCPSite(runner, host, port).start()
                click.echo(f"Receiving webhooks on http://{host}:{port}/tripletex/", err=True)
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                pass
            finally:
                await runner.cleanup()
                broker.close()
                await pool.close()

        try:
            run_async(main)
        except KeyboardInterrupt:
            click.echo("Webhook receiver stopped.", err=True)
