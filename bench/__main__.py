"""`python -m bench`: run the benchmarks and print one table (and write bench/RESULTS.md).

Sizes are flags, so CI runs the same suite small, as a smoke test of that it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
from importlib.metadata import version
from pathlib import Path

from bench import (
    dlt_peer,
    fairness,
    freshness,
    import_speed,
    rate_limited,
    requests,
    saft_speed,
    summary,
    tui_refresh,
)
from bench.world import Measure, Row, Value

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def table(rows: list[Row]) -> str:
    """A Markdown table of measures, then the free-text lines."""
    lines = ["| what | count | seconds | per second | note |", "|---|---:|---:|---:|---|"]
    notes = []
    for row in rows:
        if isinstance(row, Value):
            continue
        if isinstance(row, Measure):
            lines.append(
                f"| {row.name} | {row.count:,} | {row.seconds:.2f} | {row.rate:,.0f} | {row.note} |"
            )
        else:
            notes.append(f"- {row}")
    return "\n".join([*lines, "", *notes])


def header() -> str:
    """The machine, the date and the versions the figures come from."""
    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("aiohttp", "asyncpg", "dramatiq", "orjson", "lxml", "textual")
    )
    return (
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{_cores()} cores, Python {platform.python_version()}; {versions}. The sandbox, the "
        "worker and Postgres share the machine."
    )


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def _parser() -> argparse.ArgumentParser:
    """The suite's options: the size of each run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--postings", type=int, default=1_000_000, help="postings of the company")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument(
        "--limited-postings", type=int, default=150_000, help="postings of the rate-limited run"
    )
    parser.add_argument("--orgs", type=int, default=50, help="organizations of the fairness run")
    parser.add_argument("--org-postings", type=int, default=20_000, help="postings of each")
    parser.add_argument("--org-years", type=int, default=2, help="years of each")
    parser.add_argument(
        "--processes", default="1,2,4", help="worker process counts of the fairness run"
    )
    parser.add_argument(
        "--peer-postings",
        type=int,
        default=300_000,
        help="postings of the run beside dlt (over --years; dlt comes with the bench extra)",
    )
    parser.add_argument(
        "--peer-latency",
        default=dlt_peer.LATENCY,
        help="the sandbox's latency mode for that run, ms a full page takes (e.g. 150-600)",
    )
    parser.add_argument(
        "--requests-postings",
        type=int,
        default=1_000_000,
        help="postings of the request-efficiency runs (over --years, seasonal months)",
    )
    parser.add_argument(
        "--big-day", type=int, default=12_000, help="postings on one day of those runs"
    )
    parser.add_argument("--saft-mb", type=float, default=1024.0, help="size of the SAF-T file")
    parser.add_argument("--tui-orgs", type=int, default=1_000, help="organizations for the TUI")
    parser.add_argument("--tui-chunks", type=int, default=50_000, help="chunks for the TUI")
    parser.add_argument("--tui-runs", type=int, default=50, help="TUI home refreshes timed")
    parser.add_argument("--tui-presses", type=int, default=200, help="TUI key presses timed")
    parser.add_argument(
        "--fresh-postings", type=int, default=1_000_000, help="postings of the freshness run"
    )
    parser.add_argument("--fresh-changes", type=int, default=20, help="changes timed there")
    parser.add_argument(
        "--fresh-poll-interval", type=float, default=20.0, help="its polling-lag interval, s"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run, print, and (unless --no-write) record the results."""
    args = _parser().parse_args(argv)
    rows = import_speed.run(args.postings, args.years)
    report = f"## Import of one company ({args.postings:,} postings over {args.years} years)\n\n"
    report += table(rows)
    limited = rate_limited.run(args.limited_postings, args.years)
    report += f"\n\n## Rate-limited import ({args.limited_postings:,} postings)\n\n"
    report += table(limited)
    counts = [int(n) for n in args.processes.split(",")]
    fair = fairness.run(args.orgs, args.org_postings, args.org_years, counts)
    report += (
        f"\n\n## Many organizations at once ({args.orgs} × {args.org_postings:,} postings "
        f"over {args.org_years} years)\n\n"
    )
    report += table(fair)
    peer = dlt_peer.run(args.peer_postings, args.years, args.peer_latency)
    report += (
        f"\n\n## Beside dlt ({args.peer_postings:,} postings over {args.years} years, the sandbox "
        f"instant and in latency mode {args.peer_latency} ms)\n\n"
    )
    report += table(peer)
    spent = requests.run(args.requests_postings, args.years, args.big_day)
    report += (
        f"\n\n## Requests: first sync, re-sync and the realistic rate limit "
        f"({args.requests_postings:,} postings over {args.years} years, {args.big_day:,} on one "
        "day)\n\n"
    )
    report += table(spent)
    saft = saft_speed.run(args.saft_mb)
    report += f"\n\n## SAF-T import ({saft.megabytes:,.0f} MB generated file)\n\n"
    report += saft.table()
    tui = tui_refresh.run(args.tui_orgs, args.tui_chunks, args.tui_runs, args.tui_presses)
    report += (
        f"\n\n## Terminal UI at scale ({args.tui_orgs:,} organizations, "
        f"{args.tui_chunks:,} chunks)\n\n"
    )
    report += tui.table()
    fresh_size = freshness.FreshSize(
        args.fresh_postings, 11, args.fresh_changes, args.fresh_poll_interval
    )
    fresh = freshness.run(fresh_size)
    report += (
        f"\n\n## Kept fresh: lag and idle cost ({args.fresh_postings:,} postings over 11 years, "
        "up to this one)\n\n"
    )
    report += table(fresh)
    headlines = [
        *summary.import_headlines(rows),
        *summary.limited_headlines(limited),
        *summary.fairness_headlines(fair),
        *summary.peer_headlines(peer),
        *summary.request_headlines(spent),
        *summary.freshness_headlines(fresh),
        *summary.saft_headlines(saft),
        *summary.tui_headlines(tui),
    ]
    report = "## Summary\n\n" + summary.table(headlines) + "\n\n" + report
    print(header() + "\n\n" + report)
    if not args.no_write:
        RESULTS.write_text(f"# Benchmark results\n\n{header()}\n\n{report}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
