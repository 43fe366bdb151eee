"""`ledgersync worker`: Dramatiq worker processes (the Procfile's `worker` line)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType

import click

from cli.common import servers
from shared.queue import QUEUES
from worker.retry_policy import RetryPolicy


@click.command()
@click.option("--processes", default=2, show_default=True, help="Worker processes.")
@click.option("--threads", default=8, show_default=True, help="Threads per process.")
def worker(processes: int, threads: int) -> None:
    """Run Dramatiq workers against the configured (or embedded) Redis and Postgres."""
    RetryPolicy.from_env()  # a bad LEDGERSYNC_JOB_* value: one sentence here, not in each child
    with servers() as settings:
        settings.require("secret_key")
        env = {
            **os.environ,
            "LEDGERSYNC_DATABASE_URL": settings.database_url or "",
            "LEDGERSYNC_REDIS_URL": settings.redis_url or "",
            "LEDGERSYNC_WORKER_THREADS": str(threads),
        }
        command = [
            sys.executable, "-m", "dramatiq", "worker.app", "--skip-logging",
            "--processes", str(processes), "--threads", str(threads), "--queues", *QUEUES,
        ]  # fmt: skip
        sys.exit(run_forwarding_signals(command, env))


def run_forwarding_signals(command: list[str], env: dict[str, str]) -> int:
    """Run a child; pass SIGINT/SIGTERM on to it and wait for it to finish."""
    # its own session: a terminal Ctrl-C reaches only us, and we pass it on exactly once
    child = subprocess.Popen(command, env=env, start_new_session=True)

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    return child.wait()
