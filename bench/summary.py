"""The suite's one table: every headline figure beside its ceiling or baseline, as a ratio."""

from __future__ import annotations

from dataclasses import dataclass

from bench.saft_speed import GOAL_MB_S, GOAL_RSS_MB, Result
from bench.tui_refresh import KEY_GOAL_MS, REFRESH_GOAL_MS, TuiResult
from bench.world import Measure, Row, Value


@dataclass(frozen=True)
class Headline:
    """One row of the summary."""

    what: str
    figure: str
    beside: str
    ratio: str
    goal: str = ""


def measure_named(rows: list[Row], start: str) -> Measure:
    """The measure whose name starts with `start`."""
    return next(r for r in rows if isinstance(r, Measure) and r.name.startswith(start))


def value_named(rows: list[Row], name: str) -> float:
    """The summary figure of this name."""
    return next(r.value for r in rows if isinstance(r, Value) and r.name == name)


def import_headlines(rows: list[Row]) -> list[Headline]:
    """End to end beside both ceilings and the naive baseline."""
    e2e = measure_named(rows, "end to end")
    write = measure_named(rows, "COPY + merge only")
    fetch = measure_named(rows, "fetch + decode only")
    naive = measure_named(rows, "naive")
    return [
        Headline(
            "import, end to end",
            f"{e2e.rate:,.0f} postings/s",
            f"COPY + merge only {write.rate:,.0f}/s",
            f"{e2e.rate / write.rate:.2f}",
            "≥ 0.65",
        ),
        Headline(
            "sandbox fetch + decode (must not limit)",
            f"{fetch.rate:,.0f} postings/s",
            f"end to end {e2e.rate:,.0f}/s",
            f"{fetch.rate / e2e.rate:.1f}×",
            "well above",
        ),
        Headline(
            "naive row-by-row INSERT (baseline)",
            f"{naive.rate:,.0f} rows/s",
            f"COPY + merge only {write.rate:,.0f}/s",
            f"{naive.rate / write.rate:.2f}",
        ),
        Headline(
            "import worker peak RSS",
            f"{value_named(rows, 'worker peak RSS'):.0f} MB",
            "goal 250 MB",
            f"{value_named(rows, 'worker peak RSS') / 250:.2f}",
            "< 1",
        ),
    ]


def limited_headlines(rows: list[Row]) -> list[Headline]:
    """Requests achieved beside those allowed, and the 429s."""
    limited = next(r for r in rows if isinstance(r, Measure))
    share = value_named(rows, "429 share")
    return [
        Headline(
            "rate-limited import",
            f"{limited.count:,} requests",
            "allowed by the limit",
            f"{value_named(rows, 'rate-limit usage'):.2f}",
            "≥ 0.9",
        ),
        Headline(
            "… answered 429", f"{100 * share:.1f} %", "all requests", f"{share:.3f}", "≤ 0.01"
        ),
    ]


def fairness_headlines(rows: list[Row]) -> list[Headline]:
    """Each process count beside the first, with the completion spread."""
    rounds = [r for r in rows if isinstance(r, Measure)]
    base = rounds[0]
    found = []
    for r in rounds:
        processes = r.name.split(", ")[1].split()[0]
        spread = value_named(rows, f"spread {processes}")
        found.append(
            Headline(
                r.name,
                f"{r.rate:,.0f} postings/s",
                base.name.split(", ")[1],
                f"{r.rate / base.rate:.2f}",
                f"last org done {spread:.1f}× the median",
            )
        )
    return found


def peer_headlines(rows: list[Row]) -> list[Headline]:
    """Each ledgersync end-to-end figure beside dlt's on the same sandbox, as a ratio."""
    measures = [r for r in rows if isinstance(r, Measure)]
    found = []
    for own in (m for m in measures if m.name.startswith("ledgersync")):
        sandbox = own.name.split(", ")[1]
        peer = next((m for m in measures if m.name.startswith(f"dlt pipeline, {sandbox} (")), None)
        what = "ledgersync vs dlt, " + own.name.removeprefix("ledgersync end to end, ")
        if peer is None or not peer.rate:
            found.append(Headline(what, f"{own.rate:,.0f} postings/s", "dlt not installed", ""))
        else:
            found.append(
                Headline(
                    what,
                    f"{own.rate:,.0f} postings/s",
                    f"dlt {peer.rate:,.0f}/s",
                    f"{own.rate / peer.rate:.2f}",
                )
            )
    return found


def freshness_headlines(rows: list[Row]) -> list[Headline]:
    """The freshness lag beside its goal; an idle organization's requests beside the re-fetch."""
    p50, p95 = (
        value_named(rows, "freshness lag webhooks p50 s"),
        value_named(rows, "freshness lag webhooks p95 s"),
    )
    hooks, polls = (
        value_named(rows, "idle requests per hour webhooks"),
        value_named(rows, "idle requests per hour polls"),
    )
    refetch = value_named(rows, "idle requests per hour refetch")
    return [
        Headline(
            "freshness lag with webhooks, p95",
            f"{p95:.2f} s",
            f"p50 {p50:.2f} s",
            f"{p95 / 10:.2f} of 10 s",
            "< 1",
        ),
        Headline(
            "idle organization, requests/hour, webhooks + polls",
            f"{hooks:.2f}",
            f"hourly re-fetch {refetch:.0f}",
            f"{refetch / hooks:.0f}× fewer",
            "≥ 20×",
        ),
        Headline(
            "idle organization, requests/hour, polls alone",
            f"{polls:.2f}",
            f"hourly re-fetch {refetch:.0f}",
            f"{refetch / polls:.0f}× fewer",
        ),
    ]


def request_headlines(rows: list[Row]) -> list[Headline]:
    """Requests made beside the minimum; the realistic onboarding beside the limit's floor."""
    least = value_named(rows, "request minimum")
    first, again = (
        value_named(rows, "request ratio first"),
        value_named(rows, "request ratio resync"),
    )
    floor, took = value_named(rows, "realistic floor s"), value_named(rows, "realistic all s")
    newest = value_named(rows, "realistic newest s")
    return [
        Headline(
            "requests, first sync",
            f"{first * least:,.0f} requests",
            f"minimum {least:,.0f}",
            f"{first:.2f}",
            "≤ 1.15",
        ),
        Headline(
            "requests, re-sync",
            f"{again * least:,.0f} requests",
            f"minimum {least:,.0f}",
            f"{again:.2f}",
            "≤ 1.15",
        ),
        Headline(
            "onboarding under 100 requests / 60 s",
            f"{took:.0f} s (newest year {newest:.0f} s)",
            f"the limit's floor {floor:.0f} s",
            f"{took / floor:.2f}" if floor else "",
            "near 1; 0 × 429",
        ),
    ]


def saft_headlines(result: Result) -> list[Headline]:
    """Parsed-and-stored beside parsed only, and the memory."""
    return [
        Headline(
            f"SAF-T import ({result.megabytes:,.0f} MB file)",
            f"{result.rate:.1f} MB/s",
            f"parse only {result.parse_rate:.1f} MB/s",
            f"{result.rate / result.parse_rate:.2f}" if result.parse_rate else "",
            f"≥ {GOAL_MB_S:.0f} MB/s",
        ),
        Headline(
            "SAF-T worker peak RSS",
            f"{result.peak_rss_mb:.0f} MB",
            f"goal {GOAL_RSS_MB:.0f} MB",
            f"{result.peak_rss_mb / GOAL_RSS_MB:.2f}",
            "< 1",
        ),
    ]


def tui_headlines(result: TuiResult) -> list[Headline]:
    """The home refresh's database time and the key-press answer, beside their goals (p95)."""
    worst_keys = max(result.keys.values(), key=lambda spread: spread.p95)
    return [
        Headline(
            f"TUI home refresh, {result.orgs:,} orgs / {result.chunks:,} chunks",
            f"{result.executed.p95:.1f} ms (p95)",
            f"goal {REFRESH_GOAL_MS:.0f} ms",
            f"{result.executed.p95 / REFRESH_GOAL_MS:.2f}",
            "< 1",
        ),
        Headline(
            "TUI key press answered while refreshing",
            f"{worst_keys.p95:.1f} ms (p95)",
            f"goal {KEY_GOAL_MS:.0f} ms",
            f"{worst_keys.p95 / KEY_GOAL_MS:.2f}",
            "< 1",
        ),
    ]


def table(headlines: list[Headline]) -> str:
    """The summary as Markdown."""
    lines = ["| benchmark | figure | beside | ratio | goal |", "|---|---:|---|---:|---|"]
    lines += [f"| {h.what} | {h.figure} | {h.beside} | {h.ratio} | {h.goal} |" for h in headlines]
    return "\n".join(lines)
