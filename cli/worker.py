"""`ledgersync worker`: Dramatiq worker processes (the Procfile's `worker` line)."""

from __future__ import annotations

import os
import signal
import sys

import click

from cli.common import run_async, servers
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import connect
from shared.orgs import check_key, fingerprint_stored
from shared.queue import QUEUES
from worker.line import Line
from worker.parent_watch import HEAD_PID_ENV
from worker.resources import WorkerOptions
from worker.retry_policy import RetryPolicy

#: seconds a stopping worker may take beyond the grace period (handing back, closing)
STOP_MARGIN_S = 15.0
DEFAULTS = WorkerOptions()


@click.command()
@click.option("--processes", default=2, show_default=True, help="Worker processes.")
@click.option("--threads", default=8, show_default=True, help="Threads per process.")
@click.option(
    "--lease",
    default=DEFAULTS.lease_s,
    show_default=True,
    help="Seconds a worker holds a chunk before another may take it over.",
)
@click.option(
    "--grace",
    default=DEFAULTS.grace_s,
    show_default=True,
    help="Seconds work in flight may take to finish on SIGTERM before it is handed back.",
)
@click.option(
    "--queues",
    default=",".join(QUEUES),
    show_default=True,
    callback=lambda _ctx, _param, value: queue_names(value),
    help="The queues to take work from, comma-separated (e.g. SAF-T files on one machine only).",
)
def worker(processes: int, threads: int, lease: float, grace: float, queues: list[str]) -> None:
    """Run Dramatiq workers against the configured (or embedded) Redis and Postgres."""
    RetryPolicy.from_env()  # a bad LEDGERSYNC_JOB_* value: one sentence here, not in each child
    options = WorkerOptions(threads=threads, lease_s=lease, grace_s=grace)
    with servers(need_redis=True) as settings:
        settings.require("secret_key")
        run_async(lambda: _check_key(settings))  # a wrong key: one sentence, before any work
        env = {
            **os.environ,
            "LEDGERSYNC_DATABASE_URL": settings.database_url or "",
            "LEDGERSYNC_REDIS_URL": settings.redis_url or "",
            **options.to_env(),
            HEAD_PID_ENV: str(os.getpid()),  # its worker processes die with this one
        }
        # past the grace, handing back takes a few seconds at most
        shutdown_ms = int((grace + STOP_MARGIN_S) * 1000)
        command = [
            sys.executable,
            "-m",
            "dramatiq",
            "worker.app",
            "worker.parent_watch",
            "--skip-logging",
            "--processes",
            "1",
            "--threads",
            str(threads),
            "--queues",
            *queues,
            "--worker-shutdown-timeout",
            str(shutdown_ms),
        ]
        sys.exit(supervise(Line.of(command, env, processes)))


def queue_names(value: str) -> list[str]:
    """The queues named in `value`; click's usage error (exit 2) for one that does not exist."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'none given'}: the queues are {', '.join(QUEUES)}."
        )
    return names


async def _check_key(settings: Settings) -> None:
    """WrongSecretKey unless the key is the one the stored tokens were encrypted with; then
    fingerprint the tokens stored before fingerprints were."""
    assert settings.database_url is not None
    assert settings.secret_key is not None
    conn = await connect(settings.database_url)
    try:
        cipher = TokenCipher(settings.secret_key)
        await check_key(conn, cipher)
        await fingerprint_stored(conn, cipher)
    finally:
        await conn.close()


def supervise(line: Line) -> int:
    """Run the line, passing SIGINT/SIGTERM on to its slots; its exit code."""
    # each slot runs in its own session: a terminal's Ctrl-C reaches only us, and we pass it on
    # exactly once; our death, which we cannot pass on, reaches them through the kernel (see
    # worker.parent_watch).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _frame: line.stop(signum))
    return line.run()
