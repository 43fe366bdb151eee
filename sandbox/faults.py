"""Faults on demand: what the sandbox breaks, settable at start and through the control API."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import InitVar, asdict, dataclass, fields, replace
from typing import Any

from sandbox.latency import Bounds, parse_bounds

#: the statuses an injected server error may have
ERROR_STATUSES = (500, 502, 503)
#: how `fullResultSize` can be reported: as the real API since 2026-03 (the default), the true
#: total, or a deliberately wrong (too small) one
FULL_RESULT_SIZES = ("lookahead", "exact", "inexact")


@dataclass(frozen=True, slots=True)
class Faults:
    """Every fault knob; the defaults are a healthy Tripletex with a realistic rate limit."""

    #: requests allowed per employee token per window (`:create` counts too); the default is about
    #: the real API's (~100 per 60 s): suites and benchmarks pass a far higher one to run fast
    rate_limit: int = 100
    #: rate-limit window in seconds
    rate_window: float = 60.0
    #: share of /v2 requests answered by a 500 (ApiError), 502 or 503 (HTML, no request id)
    error_share: float = 0.0
    #: extra latency added to every /v2 request, in milliseconds
    delay_ms: int = 0
    #: share of successful responses whose connection is closed halfway through the body
    reset_share: float = 0.0
    #: share of successful responses whose JSON body is cut short (Content-Length matches the cut)
    truncate_share: float = 0.0
    #: session tokens stop working this many seconds after creation (None: at expirationDate)
    session_ttl: float | None = None
    #: `fullResultSize` on list responses: "lookahead" (from + count + 1 while more remain, else
    #: from + count: no total, as the real API since 2026-03), "exact" or "inexact" (too small)
    full_result_size: str = "lookahead"
    #: number of mutations to make between pages: a posting added, changed or deleted inside the
    #: range being paged, at an offset the client has already read
    page_mutations: int = 0
    #: whether `accountNumberTo` on /ledger/posting includes its own number (unverified on
    #: Tripletex: /balanceSheet documents an exclusive one, hence the default)
    account_number_to_inclusive: bool = False
    #: latency mode: (least, most) milliseconds a full list page of 10,000 objects takes to
    #: answer, jittered; smaller pages their share, no /v2 request under 30 ms; pages are rendered
    #: on demand (the page cache is bypassed). Given as "150-600" or [150, 600]; None: instant
    page_latency_ms: Bounds | None = None
    #: list paths (under /v2, e.g. "/ledger/voucher") where checksums are not supported: the API
    #: ignores If-None-Match and answers 200 with the versionDigest it sends when none was given
    checksum_unsupported: tuple[str, ...] = ()
    #: webhook delivery attempts that fail without being sent, as if the receiver were down
    #: (re-armed whenever the faults are set)
    webhook_fail_next: int = 0
    #: extra delay before each webhook delivery attempt, in milliseconds
    webhook_delay_ms: int = 0
    #: a subscription whose deliveries failed this many times in a row (each after its retries)
    #: becomes DISABLED_TOO_MANY_ERRORS and is sent nothing more
    webhook_disable_after: int = 10
    #: retries of a failed delivery attempt, and the wait before the first (doubling each time)
    webhook_retries: int = 3
    webhook_backoff_ms: int = 500
    #: seconds a receiver has to answer one delivery attempt
    webhook_timeout_s: float = 5.0
    #: deprecated alias: `inexact_total=True` is `full_result_size="inexact"`
    inexact_total: InitVar[bool] = False

    def __post_init__(self, inexact_total: bool) -> None:
        if inexact_total:
            object.__setattr__(self, "full_result_size", "inexact")
        for name in ("full_result_size", "page_latency_ms", "checksum_unsupported"):
            problem = _check(name, getattr(self, name))
            if problem:
                raise ValueError(problem)
        if self.page_latency_ms is not None:  # "150-600" or a list, held as a tuple
            object.__setattr__(self, "page_latency_ms", parse_bounds(self.page_latency_ms))
        object.__setattr__(self, "checksum_unsupported", _paths(self.checksum_unsupported))

    def to_json(self) -> dict[str, Any]:
        """The faults as a JSON-ready dict."""
        return asdict(self)

    def updated(self, changes: Mapping[str, Any]) -> Faults:
        """These faults with some knobs changed; raises ValueError naming every bad knob."""
        changes = _unalias(self, changes)
        known = {f.name: f for f in fields(self)}
        problems = [f"unknown fault {name!r}" for name in changes if name not in known]
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name in known:
                problem = _check(name, value)
                if problem:
                    problems.append(problem)
                else:
                    clean[name] = _clean(name, value)
        if problems:
            raise ValueError("; ".join(problems))
        return replace(self, **clean)


#: knobs holding whole numbers; the other numeric knobs are seconds or shares
WHOLE = (
    "rate_limit",
    "delay_ms",
    "page_mutations",
    "webhook_fail_next",
    "webhook_delay_ms",
    "webhook_disable_after",
    "webhook_retries",
    "webhook_backoff_ms",
)
#: knobs that are switches
TRUE_OR_FALSE = ("account_number_to_inclusive",)


def _unalias(faults: Faults, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Changes with the deprecated `inexact_total` turned into `full_result_size`."""
    found = dict(changes)
    if "inexact_total" not in found:
        return found
    inexact = found.pop("inexact_total")
    if not isinstance(inexact, bool):
        found["full_result_size"] = inexact  # refused below, naming the knob that replaced it
    elif inexact:
        found.setdefault("full_result_size", "inexact")
    elif faults.full_result_size == "inexact":
        found.setdefault("full_result_size", "lookahead")
    return found


def _clean(name: str, value: Any) -> Any:
    """A knob's checked value as the dataclass holds it."""
    if name in WHOLE:
        return int(value)
    if name == "page_latency_ms" and value is not None:
        return parse_bounds(value)
    if name == "checksum_unsupported":
        return _paths(value)
    return value


def _paths(paths: Any) -> tuple[str, ...]:
    """API paths as the router sees them below /v2 ("/v2/ledger/voucher" is "/ledger/voucher")."""
    return tuple(p.removeprefix("/v2") for p in paths)


def _check(name: str, value: Any) -> str | None:
    """What is wrong with one knob's value, or None."""
    if name == "page_latency_ms":
        if value is None:
            return None
        try:
            parse_bounds(value)
        except ValueError as error:
            return f"page_latency_ms must be null or a range of milliseconds like 150-600 ({error})"
        return None
    if name == "checksum_unsupported":
        ok = isinstance(value, list | tuple) and all(
            isinstance(p, str) and p.startswith("/") for p in value
        )
        rule = 'a list of API paths such as ["/ledger/voucher"]'
    elif name == "full_result_size":
        ok, rule = value in FULL_RESULT_SIZES, "one of " + ", ".join(FULL_RESULT_SIZES)
    elif name in TRUE_OR_FALSE:
        ok, rule = isinstance(value, bool), "true or false"
    elif name == "session_ttl" and value is None:
        ok, rule = True, "a number or null"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        ok, rule = False, "a number"
    elif name.endswith("_share"):
        ok, rule = 0 <= value <= 1, "between 0 and 1"
    elif name in WHOLE:
        ok, rule = value >= 0 and value == int(value), "a whole number of at least 0"
    else:
        ok, rule = value >= 0, "at least 0"
    return None if ok else f"{name} must be {rule}"


class Dice:
    """Seeded random decisions for injecting faults."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def roll(self, share: float) -> bool:
        """True with probability `share`."""
        return share >= 1 or (share > 0 and self._random.random() < share)

    def choice(self, options: tuple[int, ...]) -> int:
        """One of the options."""
        return self._random.choice(options)

    def between(self, low: float, high: float) -> float:
        """A number drawn evenly from low..high."""
        return self._random.uniform(low, high)
