"""`v`: the fleet at a glance: rates over the last hour, requests per token against its limit,
organizations by state, the longest wait for an operator, and when the syncing will be done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Label, Static

from tui import format as fmt
from tui.messages import FleetRefreshed
from tui.screens.base import LiveScreen
from tui.views import FleetEta, FleetView, TokenLoad, Waiting
from tui.widgets.rate_chart import RateChart
from tui.widgets.status_bar import StatusBar

#: cells of a state's bar at the largest count
STATE_BAR = 24
#: the eighths of a cell a token's minute fills, against its limit
TICKS = " ▁▂▃▄▅▆▇█"
#: minutes of a token's line (the most recent)
TOKEN_MINUTES = 30
#: waiting organizations listed
WAITING_SHOWN = 5
#: share of a limit from which a token's figures are a warning
NEAR_LIMIT = 0.8
#: colours of the states' bars
STATE_STYLE = {
    "synced": "$text-success",
    "syncing": "$text-primary",
    "needs_attention": "$text-error",
    "choose_company": "$text-warning",
    "awaiting_file": "$text-warning",
}


def states_text(states: Sequence[tuple[str, int]]) -> str:
    """A line per state: name, count and a bar to scale."""
    most = max((n for _, n in states), default=0) or 1
    lines = []
    for state, n in states:
        cells = "█" * max(1 if n else 0, round(n / most * STATE_BAR))
        style = STATE_STYLE.get(state, "$text-muted")
        lines.append(f"{fmt.label(state):<16}{fmt.count(n):>6}  [{style}]{cells}[/]")
    return "\n".join(lines)


def waiting_text(waiting: Sequence[Waiting], now: dt.datetime) -> str:
    """The organizations waiting longest on an operator, with how long."""
    if not waiting:
        return "[$text-success]No organization waits on an operator.[/]"
    lines = []
    for w in waiting[:WAITING_SHOWN]:
        age = fmt.duration(max(0.0, (now - w.since).total_seconds()))
        lines.append(f"{escape(fmt.one_line(w.name, 24)):<24} {fmt.label(w.state):<16} {age:>8}")
    more = len(waiting) - WAITING_SHOWN
    if more > 0:
        lines.append(f"[$text-muted]and {more} more[/]")
    return "\n".join(lines)


def eta_text(eta: FleetEta) -> str:
    """How much the syncing organizations have left, at what rate, and when they are done."""
    if not eta.syncing:
        return "[$text-muted]No organization is syncing.[/]"
    many = "s" if eta.syncing != 1 else ""
    unknown = f" (+{eta.unknown} not yet told)" if eta.unknown else ""
    rate = fmt.per_second(eta.rate) or "0/s"
    fewest, most = eta.postings_left
    left = fmt.count(fewest) if fewest == most else f"{fmt.count(fewest)}–{fmt.count(most)}"
    syncing = f"{eta.syncing} organization{many} syncing · lately {rate}"
    head = f"{syncing}\n{left} postings left{unknown}"
    if eta.low is None or eta.high is None:
        return f"{head}\n[$text-muted]No estimate yet: nothing imported to go by.[/]"
    if eta.high == 0:
        return f"{head}\ndone"
    low, high = fmt.duration(eta.low), fmt.duration(eta.high)
    when = f"about {low}" if low == high else f"{low} – {high}"
    return f"{head}\n[b]done in {when}[/b]"


def ticks(per_minute: Sequence[int], top: float) -> str:
    """A token's requests per minute as eighth-blocks, full at `top` (its limit per minute)."""
    if top <= 0:
        return " " * len(per_minute)
    steps = len(TICKS) - 1
    return "".join(TICKS[min(steps, -(-n * steps // int(top)) if n else 0)] for n in per_minute)


def token_line(load: TokenLoad) -> str:
    """A token: fingerprint, organizations, the last half hour against its limit, figures."""
    recent = load.per_minute[-TOKEN_MINUTES:]
    per_min = load.limit_per_minute
    top = per_min or max(recent, default=0)
    names = fmt.one_line(load.orgs[0], 22) if load.orgs else "(not known)"
    if len(load.orgs) > 1:
        names = f"{fmt.one_line(load.orgs[0], 18)} +{len(load.orgs) - 1}"
    last = recent[-1] if recent else 0
    peak = max(recent, default=0)
    limit = "limit unknown"
    if load.limit is not None:
        window = f" per {load.window_s:.0f} s" if load.window_s else " now"
        limit = f"{load.used}/{load.limit}{window}"
    near = per_min is not None and peak >= NEAR_LIMIT * per_min
    figures = f"{last:>3}/min · peak {peak:>3} · {limit}"
    figures = f"[$text-warning]{figures}[/]" if near else figures
    return (
        f"{escape(load.fingerprint or 'fp:?'):<13} {escape(names):<22} "
        f"[$primary on $surface]{ticks(recent, top)}[/] {figures}"
    )


def tokens_text(tokens: Sequence[TokenLoad]) -> str:
    """A line per token that sent requests in the last hour."""
    if not tokens:
        return "[$text-muted]No requests to Tripletex in the last hour.[/]"
    return "\n".join(token_line(t) for t in tokens)


class FleetScreen(LiveScreen):
    """Every organization at once, as pictures and a few figures."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Refresh now"),
    ]

    fleet: reactive[FleetView | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        """Two rates over the hour; tokens on the left; states, waits and ETA on the right."""
        yield StatusBar("Fleet")
        yield RateChart("Postings/s", id="postings-chart")
        yield RateChart("Tripletex requests/s", id="requests-chart")
        with Horizontal(id="fleet-body"):
            with VerticalScroll(id="fleet-tokens"):
                yield Label(
                    f"Requests per token and minute · last {TOKEN_MINUTES} min, full at its limit",
                    classes="panel-title",
                )
                yield Static(id="tokens-text")
            with Vertical(id="fleet-side"):
                yield Label("Organizations by state", classes="panel-title")
                yield Static(id="states-text")
                yield Label("Waiting on an operator, longest first", classes="panel-title")
                yield Static(id="waiting-text")
                yield Label("When the syncing is done", classes="panel-title")
                yield Static(id="eta-text")
        yield Footer()

    def refresh_data(self) -> None:
        """Read the fleet (in a worker)."""
        self._load()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _load(self) -> None:
        self.post_message(FleetRefreshed(await self.source.fleet()))

    def on_fleet_refreshed(self, message: FleetRefreshed) -> None:
        """Show the new data."""
        self.fleet = message.fleet

    def watch_fleet(self, fleet: FleetView | None) -> None:
        """Every figure anew."""
        if fleet is None:
            return
        self.query_one("#postings-chart", RateChart).show(fleet.postings_per_s)
        self.query_one("#requests-chart", RateChart).show(fleet.requests_per_s)
        self.query_one("#tokens-text", Static).update(tokens_text(fleet.tokens))
        self.query_one("#states-text", Static).update(states_text(fleet.states))
        self.query_one("#waiting-text", Static).update(waiting_text(fleet.waiting, fleet.at))
        self.query_one("#eta-text", Static).update(eta_text(fleet.eta))
        status = self.query_one(StatusBar)
        status.note = f"{sum(n for _, n in fleet.states)} organizations"
        status.at = fleet.at

    def action_back(self) -> None:
        """Back home."""
        self.app.pop_screen()

    def action_refresh(self) -> None:
        """Refresh now."""
        self.refresh_data()
