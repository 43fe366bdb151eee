"""`python -m bench.saft_hostile --mb N`: hostile SAF-T files of N MB through the CLI and a worker.

Issue 17: for each kind of `shared.saft.hostile.Hostile` (unknown elements under the root, in the
Header and in a Transaction, one huge text node, deep nesting (N MB / 8 levels: 13 million at
100 MB), foreign trees, namespace declarations and element names each used once), writes a file
with N MB of it planted in a valid one, runs `ledgersync saft import` (its header check and copy)
and a real `ledgersync worker` importing it, and reports each one's peak RSS beside the goal
(< 200 MB) and how the import ended. Run alone; it is not part of `python -m bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.saft_speed import CLI, GOAL_RSS_MB, MB, _ledgersync, _servers
from bench.world import BENCH_HOME, _tree_rss_mb
from shared.config import Settings
from shared.db import connect, with_database
from shared.db.migrate import fresh_database
from shared.saft.generate import Spec
from shared.saft.hostile import Hostile, write_hostile

#: seconds one import may take
TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Row:
    """What one hostile file did."""

    kind: Hostile
    megabytes: float
    cli_peak_mb: float
    worker_peak_mb: float
    seconds: float
    outcome: str


async def _peak_of(process: asyncio.subprocess.Process) -> tuple[float, bytes, bytes]:
    """Wait for a process, sampling its RSS ten times a second: (peak MB, stdout, stderr)."""
    watched = psutil.Process(process.pid)
    peak = 0.0
    task = asyncio.ensure_future(process.communicate())
    while not task.done():
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss / MB)
        await asyncio.sleep(0.1)
    out, err = task.result()
    return peak, out, err


async def one(env: dict[str, str], org: str, kind: Hostile, path: Path) -> Row:
    """Submit one file through the CLI and wait for the worker to end its import."""
    started = time.perf_counter()
    megabytes = path.stat().st_size / MB  # noqa: ASYNC240 (once, before the work)
    cli = await asyncio.create_subprocess_exec(
        *CLI,
        "saft",
        "import",
        org,
        str(path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    cli_peak, out, err = await _peak_of(cli)
    if cli.returncode != 0:
        sentence = err.decode().strip().splitlines()[-1:] or ["?"]
        return Row(
            kind,
            megabytes,
            cli_peak,
            0.0,
            time.perf_counter() - started,
            f"refused by the CLI (exit {cli.returncode}): {sentence[0][:140]}",
        )
    import_id = int(out.decode().strip())
    worker_peak, outcome = await _watch(env, import_id)
    return Row(kind, megabytes, cli_peak, worker_peak, time.perf_counter() - started, outcome)


async def _watch(env: dict[str, str], import_id: int) -> tuple[float, str]:
    worker = psutil.Process(int(env["_BENCH_WORKER_PID"]))
    conn = await connect(env["LEDGERSYNC_DATABASE_URL"])
    peak, deadline = 0.0, time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            peak = max(peak, _tree_rss_mb(worker))
            row = await conn.fetchrow(
                "SELECT state, error FROM saft_imports WHERE id=$1", import_id
            )
            if row["state"] in ("done", "invalid", "failed"):
                return peak, f"{row['state']}: {(row['error'] or '')[:140]}".rstrip(": ")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    return peak, f"still running after {TIMEOUT_S:.0f} s"


async def measure(
    settings: Settings, megabytes: float, folder: Path, kinds: list[Hostile]
) -> list[Row]:
    """The kinds, one after another, through one worker."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    url = with_database(settings.database_url, "ledgersync_saft_hostile")
    await fresh_database(url)
    env = {
        **os.environ,
        "LEDGERSYNC_DATABASE_URL": url,
        "LEDGERSYNC_REDIS_URL": settings.redis_url,
        "LEDGERSYNC_SECRET_KEY": secrets.token_urlsafe(24),
        "LEDGERSYNC_LOG_FORMAT": "json",
        "LEDGERSYNC_HOME": str(folder),
    }
    org = (await _ledgersync(env, "org", "add", "SAF-T hostile", "--method", "saft")).strip()
    log = (folder / "worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        *CLI, "worker", "--processes", "1", "--threads", "2", env=env, stdout=log, stderr=log
    )
    env["_BENCH_WORKER_PID"] = str(worker.pid)
    rows = []
    try:
        for kind in kinds:
            path = folder / Spec().name()
            write_hostile(path, kind, int(megabytes * MB))
            rows.append(await one(env, org, kind, path))
            print(_line(rows[-1]), flush=True)
            path.unlink()
    finally:
        worker.terminate()
        await worker.wait()
    return rows


def _line(row: Row) -> str:
    return (
        f"| {row.kind} | {row.megabytes:,.0f} MB | {row.cli_peak_mb:,.0f} MB | "
        f"{row.worker_peak_mb:,.0f} MB | {row.seconds:,.1f} s | {row.outcome} |"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run every kind, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.saft_hostile", description=__doc__)
    parser.add_argument("--mb", type=float, default=1024.0, help="MB planted per file (1024)")
    parser.add_argument(
        "--kind",
        action="append",
        choices=[k.value for k in Hostile],
        help="only this kind (repeatable; default: every kind)",
    )
    args = parser.parse_args(argv)
    kinds = [Hostile(k) for k in args.kind] if args.kind else list(Hostile)
    print(f"goal: peak RSS < {GOAL_RSS_MB:.0f} MB for the CLI check and for the worker\n")
    print("| file | size | CLI peak RSS | worker peak RSS | time | outcome |")
    print("|---|---:|---:|---:|---:|---|")
    BENCH_HOME.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=BENCH_HOME, prefix="saft-hostile-") as tmp,
        _servers() as settings,
    ):
        asyncio.run(measure(settings, args.mb, Path(tmp), kinds))


if __name__ == "__main__":
    main()
