"""`python -m sandbox`: serve the offline Tripletex API, or `--describe` its scenario as JSON."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from datetime import datetime

import orjson

from sandbox.app import create_app
from sandbox.clock import parse_instant
from sandbox.events import EVENTS
from sandbox.faults import FULL_RESULT_SIZES, Faults
from sandbox.latency import FLOOR_MS, Bounds, parse_bounds
from sandbox.scenario import SCENARIOS, build_scenario
from sandbox.server import serve
from sandbox.truth import describe

#: what `ledgersync sandbox --help` says before the options
DESCRIPTION = (
    "Serve the offline Tripletex API v2 at http://HOST:PORT/v2: auth (consumer + employee token "
    "to session token), paging, errors, rate limits and faults on demand, over data generated from "
    "a seed. Point ledgersync at it with LEDGERSYNC_TRIPLETEX_URL=http://HOST:PORT/v2 and the "
    "scenario's consumer token (--describe shows it and the employee tokens). Faults can also be "
    "changed while it runs: PUT /_sandbox/faults with a JSON object of the knobs below. Webhooks "
    "as on Tripletex: GET /v2/event, /v2/event/subscription (GET, POST, GET/PUT/DELETE by id); "
    "every voucher change sends voucher.create/update/delete to the subscribed targetUrl; "
    "GET /_sandbox/deliveries shows what was sent, POST /_sandbox/subscriptions/ID/disable "
    "cuts one off."
)
EPILOG = """examples:
  ledgersync sandbox --scenario small --rate-limit 100000
  ledgersync sandbox --describe
  ledgersync sandbox --error-share 0.05 --latency 150-600"""
#: the defaults of every fault knob
HEALTHY = Faults()
#: what --describe says beside the scenario: the event API, its control endpoints and knobs
WEBHOOKS = {
    "events": sorted(EVENTS),
    "api": [
        "GET /v2/event",
        "GET /v2/event/subscription",
        "POST /v2/event/subscription",
        "GET /v2/event/subscription/{id}",
        "PUT /v2/event/subscription/{id}",
        "DELETE /v2/event/subscription/{id}",
    ],
    "control": [
        "GET /_sandbox/deliveries",
        "DELETE /_sandbox/deliveries",
        "POST /_sandbox/subscriptions/{id}/disable",
    ],
    "faults": [
        name
        for name in HEALTHY.to_json()
        if name.startswith("webhook_") or name == "checksum_unsupported"
    ],
}


def _instant(text: str) -> datetime:
    """`--clock`'s value."""
    try:
        return parse_instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _latency(text: str) -> Bounds:
    """`--latency`'s value."""
    try:
        return parse_bounds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="ledgersync sandbox",
        description=textwrap.fill(DESCRIPTION, 79),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8089, help="port to listen on (default 8089)")
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        help="the same seed gives the same companies and postings (default 1)",
    )
    p.add_argument(
        "--scenario",
        default="demo",
        choices=sorted(SCENARIOS),
        help="the data: demo = the demo's companies and broken tokens; small = every feature "
        "with few postings (tests); bench = sized by the options below; bigday = a year-end "
        "closing above the 10,000 cap (default demo)",
    )
    p.add_argument("--describe", action="store_true", help="print the scenario as JSON and exit")
    p.add_argument(
        "--clock",
        type=_instant,
        metavar="ISO-DATETIME",
        help="start the sandbox's clock at this time (e.g. 2026-12-06T23:30:00Z); it runs on from "
        "there. Session expiry follows it in Europe/Oslo time; PUT /_sandbox/clock moves it later",
    )
    p.add_argument(
        "--page-cache-mb",
        type=int,
        default=128,
        help="rendered list pages kept in memory (a benchmark serving every page from memory "
        "needs about 0.5 MB per 1,000 postings)",
    )
    sizes = p.add_argument_group("scenario sizes")
    sizes.add_argument("--companies", type=int, help="bench: number of client companies")
    sizes.add_argument("--postings", type=int, help="bench: postings per company")
    sizes.add_argument("--years", type=int, help="bench: years per company")
    sizes.add_argument(
        "--big-day",
        type=int,
        help="bench, bigday: postings on 31 December of the newest year (a year-end closing "
        "above the 10,000 cap; bench default 0 = none, bigday default 10,500)",
    )
    faults = p.add_argument_group("faults")
    faults.add_argument(
        "--rate-limit",
        type=int,
        default=HEALTHY.rate_limit,
        help="requests per --rate-window per employee token, :create included (default "
        f"{HEALTHY.rate_limit}: realistic, about the real API's limit, so pacing can be measured; "
        "run faster with e.g. --rate-limit 100000)",
    )
    faults.add_argument(
        "--rate-window",
        type=float,
        default=HEALTHY.rate_window,
        help=f"seconds per rate-limit window (default {HEALTHY.rate_window:g})",
    )
    faults.add_argument(
        "--error-share",
        type=float,
        default=0.0,
        help="share (0-1) of /v2 requests answered by a 500, 502 or 503 (default 0)",
    )
    faults.add_argument(
        "--delay-ms",
        type=int,
        default=0,
        help="milliseconds added to every /v2 request (default 0)",
    )
    faults.add_argument(
        "--reset-share",
        type=float,
        default=0.0,
        help="share (0-1) of answers whose connection is closed halfway through the body",
    )
    faults.add_argument(
        "--truncate-share",
        type=float,
        default=0.0,
        help="share (0-1) of answers whose JSON body is cut short",
    )
    faults.add_argument(
        "--session-ttl",
        type=float,
        default=None,
        help="seconds after which a session token stops working (default: at its expirationDate)",
    )
    faults.add_argument(
        "--full-result-size",
        choices=FULL_RESULT_SIZES,
        default=HEALTHY.full_result_size,
        help="fullResultSize on lists: lookahead = from+count+1 while more remain, else "
        "from+count (the real API since 2026-03; the default), exact = the true total, "
        "inexact = too small",
    )
    faults.add_argument(
        "--inexact-total", action="store_true", help="deprecated: --full-result-size inexact"
    )
    faults.add_argument(
        "--page-mutations",
        type=int,
        default=0,
        help="postings added, changed or deleted inside a range while a client pages through it",
    )
    faults.add_argument(
        "--account-number-to-inclusive",
        action="store_true",
        help="accountNumberTo on /ledger/posting includes its own number (default: exclusive)",
    )
    faults.add_argument(
        "--latency",
        type=_latency,
        metavar="MS[-MS]",
        help="latency mode: a full list page of 10,000 objects takes a jittered time in this range "
        f"of milliseconds (e.g. 150-600), smaller pages their share, no /v2 request under "
        f"{FLOOR_MS} ms; pages are rendered on demand, not cached (default: instant)",
    )
    _webhook_options(p.add_argument_group("webhooks and checksums"))
    return p


def _webhook_options(group: argparse._ArgumentGroup) -> None:
    """The webhook and checksum knobs."""
    group.add_argument(
        "--checksum-unsupported",
        action="append",
        default=[],
        metavar="PATH",
        help="a list path (e.g. /ledger/voucher) that ignores If-None-Match and never answers "
        "304, as an endpoint without checksums; repeat for more",
    )
    for name, unit, meaning in (
        ("fail_next", "", "webhook delivery attempts that fail without being sent"),
        ("delay_ms", "ms", "extra delay before each webhook delivery attempt"),
        ("disable_after", "", "failed deliveries in a row that disable a subscription"),
        ("retries", "", "retries of a failed webhook delivery attempt"),
        ("backoff_ms", "ms", "wait before the first retry, doubling for each next one"),
    ):
        default = getattr(HEALTHY, f"webhook_{name}")
        group.add_argument(
            "--webhook-" + name.replace("_", "-"),
            type=int,
            default=default,
            metavar="N",
            help=f"{meaning} (default {default}{' ' + unit if unit else ''})",
        )
    group.add_argument(
        "--webhook-timeout-s",
        type=float,
        default=HEALTHY.webhook_timeout_s,
        help=f"seconds a receiver has to answer (default {HEALTHY.webhook_timeout_s:g})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = parser().parse_args(argv)
    sizes = {
        k: v
        for k in ("companies", "postings", "years", "big_day")
        if (v := getattr(args, k)) is not None
    }
    try:
        scenario = build_scenario(args.scenario, args.seed, **sizes)
        faults = Faults().updated(
            {
                "rate_limit": args.rate_limit,
                "rate_window": args.rate_window,
                "error_share": args.error_share,
                "delay_ms": args.delay_ms,
                "reset_share": args.reset_share,
                "truncate_share": args.truncate_share,
                "session_ttl": args.session_ttl,
                "full_result_size": "inexact" if args.inexact_total else args.full_result_size,
                "page_mutations": args.page_mutations,
                "account_number_to_inclusive": args.account_number_to_inclusive,
                "page_latency_ms": args.latency,
                "checksum_unsupported": args.checksum_unsupported,
            }
            | {
                f"webhook_{name}": getattr(args, f"webhook_{name}")
                for name in (
                    "fail_next",
                    "delay_ms",
                    "disable_after",
                    "retries",
                    "backoff_ms",
                    "timeout_s",
                )
            }
        )
    except ValueError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    if args.describe:
        sys.stdout.write(
            orjson.dumps(
                describe(scenario) | {"webhooks": WEBHOOKS}, option=orjson.OPT_INDENT_2
            ).decode()
            + "\n"
        )
        return 0
    app = create_app(scenario, faults, page_cache_mb=args.page_cache_mb, clock=args.clock)
    serve(app, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
