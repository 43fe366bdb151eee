"""`honcho start -c worker=N` runs the Procfile with N worker lines, as the README says."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis

from shared import status

ROOT = Path(__file__).resolve().parents[2]
#: processes each `worker` line of the Procfile starts (its --processes)
PROCESSES_PER_LINE = 2
WORKER_LINES = 2
WITHIN_S = 120.0


def alive_ids(client: redis.Redis) -> set[str]:
    """Ids of the worker processes heard from recently."""
    return {str(worker["id"]) for worker in status.alive(status.workers(client))}


def test_honcho_runs_as_many_worker_lines_as_asked_and_stops_them_all(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    bin_dir = str(Path(sys.executable).parent)  # where `ledgersync` is installed
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "LEDGERSYNC_HOME": str(tmp_path),
        "LEDGERSYNC_DATABASE_URL": database_url,
        "LEDGERSYNC_REDIS_URL": redis_url,
        "LEDGERSYNC_SECRET_KEY": "honcho-test-secret-key-0123456789",
        "LEDGERSYNC_LOG_FORMAT": "json",
    }
    client = redis.Redis.from_url(redis_url)
    before = alive_ids(client)
    honcho = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "honcho",
            "-f",
            str(ROOT / "Procfile"),
            "start",
            "-c",
            f"worker={WORKER_LINES}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    tree: set[psutil.Process] = set()
    try:
        deadline = time.monotonic() + WITHIN_S
        started = set()
        while time.monotonic() < deadline and honcho.poll() is None:
            tree |= set(psutil.Process(honcho.pid).children(recursive=True))
            started = alive_ids(client) - before
            if len(started) >= WORKER_LINES * PROCESSES_PER_LINE:
                break
            time.sleep(0.2)  # polling Redis with a deadline: workers boot on their own time
        assert honcho.poll() is None, "honcho stopped early"
        assert len(started) == WORKER_LINES * PROCESSES_PER_LINE, (
            f"{len(started)} worker processes heard from, "
            f"wanted {WORKER_LINES} lines × {PROCESSES_PER_LINE}"
        )
        commands = [" ".join(p.cmdline()) for p in tree if p.is_running()]
        assert any("ledgersync scheduler" in line for line in commands), "no scheduler line"
    finally:
        honcho.send_signal(signal.SIGTERM)
        output, _ = honcho.communicate(timeout=60)
        client.close()
    left = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"honcho left {[p.cmdline() for p in left]} behind"
    text = output.decode(errors="replace")
    assert "worker.1" in text, text[-2000:]
    assert "worker.2" in text, text[-2000:]
