"""The terminal UI benchmark runs (small): that it fills, measures and prints, not how fast."""

from __future__ import annotations

import subprocess
import sys


def test_the_tui_benchmark_runs_small_and_prints_its_rows() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.tui_refresh",
            "--orgs",
            "30",
            "--chunks",
            "600",
            "--runs",
            "3",
            "--presses",
            "6",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for row in (
        "database execution",
        "round trip",
        "key press answered (refresh every 2 s",
        "pressed as each refresh lands",
    ):
        assert row in done.stdout
