"""The sandbox's run-time state: ledgers with their overlays, sessions, limits, faults, counters,
webhook subscriptions."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aiohttp import web

from sandbox.balances import Balances
from sandbox.clock import WallClock
from sandbox.events import Subscriptions
from sandbox.faults import Dice, Faults
from sandbox.ledger import Ledger
from sandbox.pagecache import PageCache
from sandbox.ratelimit import RateLimiter
from sandbox.scenario import Scenario
from sandbox.sessions import Sessions
from sandbox.webhooks import Webhooks


@dataclass(slots=True)
class Counters:
    """Requests served under /v2: total, per status and per endpoint."""

    total: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_endpoint: Counter[str] = field(default_factory=Counter)

    def count(self, endpoint: str, status: int) -> None:
        """Count one response."""
        self.total += 1
        self.by_status[status] += 1
        self.by_endpoint[endpoint] += 1

    def to_json(self) -> dict[str, Any]:
        """The counters as a JSON-ready dict."""
        return {
            "total": self.total,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
        }


class SandboxState:
    """Everything that changes while the sandbox runs."""

    def __init__(
        self,
        scenario: Scenario,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        page_cache_mb: int = 128,
        wall_clock: datetime | None = None,
    ) -> None:
        self.scenario = scenario
        #: seconds for rate windows and session lifetimes
        self.clock = clock
        #: the date and time for session expiry, movable for tests
        self.wall = WallClock()
        if wall_clock is not None:
            self.wall.set(wall_clock)
        self.ledgers = {c.id: Ledger(c, scenario.seed) for c in scenario.companies}
        self.balances = {cid: Balances(ledger) for cid, ledger in self.ledgers.items()}
        self.sessions = Sessions(scenario.seed, clock)
        self.dice = Dice(scenario.seed)
        #: latency mode's draws, apart from the fault decisions so theirs stay as they were
        self.jitter = Dice(scenario.seed)
        self.cache = PageCache(page_cache_mb * 1024 * 1024)
        self.counters = Counters()
        self.mutations: list[dict[str, Any]] = []
        self.faults = faults or Faults()
        self.limiter = RateLimiter(self.faults.rate_limit, self.faults.rate_window, clock)
        self.mutations_left = self.faults.page_mutations
        #: ids of employee tokens revoked at run time (they answer like expired ones)
        self.revoked: set[int] = set()
        #: webhook subscriptions of every company, and their sender
        self.subscriptions = Subscriptions()
        self.webhooks = Webhooks(self.subscriptions, lambda: self.faults)

    def revoke(self, token_id: int) -> int:
        """Revoke an employee token: no new sessions, and its sessions end; how many ended."""
        self.revoked.add(token_id)
        return self.sessions.expire_token(token_id)

    def set_faults(self, faults: Faults) -> None:
        """Switch to new faults; a changed rate limit starts fresh windows."""
        if (faults.rate_limit, faults.rate_window) != (self.limiter.limit, self.limiter.window):
            self.limiter = RateLimiter(faults.rate_limit, faults.rate_window, self.clock)
        self.mutations_left = faults.page_mutations
        self.webhooks.fails_left = faults.webhook_fail_next
        self.faults = faults

    def today(self) -> date:
        """Today in Europe/Oslo on the sandbox's clock (session expiry only; the data's years
        are fixed)."""
        return self.wall.oslo_today()

    def changed(self, company_id: int, record: dict[str, Any]) -> None:
        """Note a change to a company's data: log it, drop its cached pages and queue the
        webhook deliveries of its voucher event."""
        self.mutations.append({"company": company_id, **record})
        self.cache.drop(company_id)
        self.webhooks.notify(company_id, record, self.ledgers[company_id])


#: where the application keeps its state
STATE = web.AppKey("sandbox_state", SandboxState)
