"""`python -m bench.saft_speed --mb N`: import a generated SAF-T file of N MB through a worker.

Generates the file (streamed to disk), registers a SAF-T organization, submits the file (copy
and hash), and lets a real `ledgersync worker` process import it; reports MB/s parsed and
stored (the import's own start to end, from its row) and the worker process's peak RSS,
sampled ten times a second. Goals: at least 20 MB/s, under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.world import BENCH_HOME, _tree_rss_mb
from shared.config import Settings
from shared.db import connect, with_database
from shared.db.migrate import fresh_database
from shared.embedded import servers_for
from shared.saft.generate import Spec, transactions_for, write
from shared.saft.reader import read

CLI = [sys.executable, "-c", "from cli.main import main; main()"]
MB = 2**20
#: goals of the issue
GOAL_MB_S, GOAL_RSS_MB = 20.0, 200.0
#: seconds an import may take before the benchmark gives up
TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    megabytes: float
    transactions: int
    postings: int
    generate_s: float
    submit_s: float
    import_s: float
    peak_rss_mb: float
    parse_s: float = 0.0

    @property
    def rate(self) -> float:
        """MB/s parsed and stored."""
        return self.megabytes / self.import_s

    @property
    def parse_rate(self) -> float:
        """MB/s only parsed (the ceiling)."""
        return self.megabytes / self.parse_s if self.parse_s else 0.0

    def table(self) -> str:
        """The result as a Markdown table with the goals beside it."""
        rate = self.megabytes / self.import_s
        lines = [
            "| what | value | note |",
            "|---|---:|---|",
            f"| file | {self.megabytes:,.0f} MB | {self.transactions:,} transactions, "
            f"{self.postings:,} postings |",
            f"| generate (streamed to disk) | {self.generate_s:.1f} s | |",
            f"| submit (copy + sha256) | {self.submit_s:.1f} s | "
            f"{self.megabytes / self.submit_s:,.0f} MB/s |",
            f"| import: parse, check, stage, swap | {self.import_s:.1f} s | "
            f"**{rate:,.1f} MB/s** (goal ≥ {GOAL_MB_S:.0f}), "
            f"{self.postings / self.import_s:,.0f} postings/s |",
            f"| parse only, nothing stored (ceiling) | {self.parse_s:.1f} s | "
            f"{self.parse_rate:,.1f} MB/s |",
            f"| worker peak RSS | {self.peak_rss_mb:,.0f} MB | goal < {GOAL_RSS_MB:.0f} MB |",
        ]
        return "\n".join(lines)


@contextlib.contextmanager
def _servers() -> Iterator[Settings]:
    environ = dict(os.environ)
    environ.setdefault("LEDGERSYNC_HOME", str(BENCH_HOME))
    with servers_for(Settings.from_env(environ), durable=False) as settings:
        yield settings


def generate(path: Path, megabytes: float) -> tuple[Spec, float]:
    """Write a file of about `megabytes` MB; (its spec, seconds taken)."""
    started = time.perf_counter()
    spec = Spec(transactions=transactions_for(int(megabytes * MB), Spec()))
    with path.open("w", encoding="utf-8", buffering=MB) as out:
        write(out, spec)
    return spec, time.perf_counter() - started


async def _ledgersync(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *CLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"ledgersync {' '.join(args)}: {err.decode().strip()}")
    return out.decode()


async def measure(settings: Settings, path: Path, folder: Path) -> tuple[float, float, float]:
    """(submit seconds, import seconds, worker peak RSS MB) of one import through a worker."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    url = with_database(settings.database_url, "ledgersync_saft_bench")
    await fresh_database(url)
    env = {
        **os.environ,
        "LEDGERSYNC_DATABASE_URL": url,
        "LEDGERSYNC_REDIS_URL": settings.redis_url,
        "LEDGERSYNC_SECRET_KEY": secrets.token_urlsafe(24),
        "LEDGERSYNC_LOG_FORMAT": "json",
        "LEDGERSYNC_HOME": str(folder),
    }
    org = (await _ledgersync(env, "org", "add", "SAF-T bench", "--method", "saft")).strip()
    log = (folder / "worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        *CLI, "worker", "--processes", "1", "--threads", "2", env=env, stdout=log, stderr=log
    )
    try:
        started = time.perf_counter()
        import_id = int((await _ledgersync(env, "saft", "import", org, str(path))).strip())
        submit_s = time.perf_counter() - started
        peak = await _watch(url, import_id, psutil.Process(worker.pid))
        conn = await connect(url)
        row = await conn.fetchrow(
            "SELECT extract(epoch FROM finished_at - started_at) AS s FROM saft_imports"
            " WHERE id = $1",
            import_id,
        )
        await conn.close()
    finally:
        worker.terminate()
        await worker.wait()
    return submit_s, float(row["s"]), peak


async def _watch(url: str, import_id: int, worker: psutil.Process) -> float:
    """Poll until the import ends; the worker processes' peak RSS meanwhile (MB)."""
    conn = await connect(url)
    peak, deadline = 0.0, time.monotonic() + TIMEOUT_S
    try:
        while True:
            peak = max(peak, _tree_rss_mb(worker))
            row = await conn.fetchrow(
                "SELECT state, error FROM saft_imports WHERE id=$1", import_id
            )
            if row["state"] in ("done", "invalid", "failed"):
                if row["state"] != "done":
                    raise RuntimeError(f"the import ended {row['state']}: {row['error']}")
                return peak
            if time.monotonic() > deadline:
                raise TimeoutError(f"still {row['state']} after {TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


def parse_only(path: Path) -> float:
    """Seconds to read every event of the file with the importer's reader, storing nothing:
    the ceiling of the import (one core parsing)."""
    started = time.perf_counter()
    with path.open("rb") as stream:
        for _ in read(stream, path.name, {}):
            pass
    return time.perf_counter() - started


def run(megabytes: float) -> Result:
    """Generate, submit and import; the measures."""
    BENCH_HOME.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BENCH_HOME, prefix="saft-") as tmp:
        folder = Path(tmp)
        path = folder / "SAF-T Financial_999999999_20251231235959_1_1.xml"
        spec, generate_s = generate(path, megabytes)
        size = path.stat().st_size / MB
        parse_s = parse_only(path)
        with _servers() as settings:
            submit_s, import_s, peak = asyncio.run(measure(settings, path, folder))
    lines = spec.transactions * spec.lines
    return Result(size, spec.transactions, lines, generate_s, submit_s, import_s, peak, parse_s)


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run once, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.saft_speed", description=__doc__)
    parser.add_argument("--mb", type=float, default=1024.0, help="file size in MB (1024)")
    args = parser.parse_args(argv)
    print(run(args.mb).table())


if __name__ == "__main__":
    main()
