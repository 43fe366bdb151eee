"""The benchmark suite runs (small): that it runs and reports, not how fast."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.timeout(560)  # every benchmark once, each with its own servers and worlds
def test_the_benchmark_runs_small_and_prints_its_table() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--postings",
            "3000",
            "--years",
            "2",
            "--limited-postings",
            "3000",
            "--orgs",
            "3",
            "--org-postings",
            "500",
            "--org-years",
            "1",
            "--processes",
            "1,2",
            "--peer-postings",
            "3000",
            "--peer-latency",
            "15-60",
            "--requests-postings",
            "3000",
            "--big-day",
            "0",
            "--saft-mb",
            "1",
            "--tui-orgs",
            "20",
            "--tui-chunks",
            "200",
            "--tui-runs",
            "5",
            "--tui-presses",
            "20",
            "--fresh-postings",
            "2000",
            "--fresh-changes",
            "4",
            "--fresh-poll-interval",
            "2",
            "--no-write",
        ],
        capture_output=True,
        text=True,
        timeout=530,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = ("end to end", "fetch + decode only", "COPY + merge only", "naive", "peak RSS", "429")
    rows += ("3 orgs at once, 1 worker", "3 orgs at once, 2 worker", "× the rate of 1")
    rows += ("## Summary", "SAF-T import", "parse only", "SAF-T worker peak RSS")
    rows += ("TUI home refresh", "TUI key press answered")
    rows += ("freshness lag with webhooks", "freshness lag with checksum polls")
    rows += ("idle organization, requests/hour, webhooks + polls", "the old re-fetch")
    rows += ("requests, first sync", "requests, re-sync", "onboarding under 100 requests / 60 s")
    rows += (
        "ledgersync vs dlt, sandbox instant, 1 process",
        "sandbox latency 15-60 ms, 2 process",
    )
    for row in rows:
        assert row in done.stdout
    # without the bench extra (as in CI) the dlt rows are skipped, and the table says so
    assert ("× dlt" in done.stdout) != ("dlt is not installed" in done.stdout)
