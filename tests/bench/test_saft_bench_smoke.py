"""The SAF-T benchmark runs (small): that it generates, imports through a worker and reports."""

from __future__ import annotations

import subprocess
import sys


def test_the_saft_benchmark_runs_small_and_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.saft_speed", "--mb", "2"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for row in ("| file |", "MB/s", "worker peak RSS"):
        assert row in done.stdout
