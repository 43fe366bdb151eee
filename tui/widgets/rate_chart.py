"""A rate over the last hour: its title with the latest and highest figure, and a sparkline."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Sparkline

from tui import format as fmt


def per_s(value: float) -> str:
    """A rate per second, short: `0/s`, `0.4/s`, `152/s`."""
    return fmt.per_second(value) or "0/s"


def headline(title: str, values: Sequence[float]) -> str:
    """`Postings/s · last minute 152/s · peak 310/s · hour ago → now`."""
    if not any(values):
        return f"{title} · none in the last hour"
    return (
        f"{title} · last minute {per_s(values[-1])} · peak {per_s(max(values))} "
        f"· {len(values)} minutes, now on the right"
    )


class RateChart(Vertical):
    """A titled sparkline of one rate, a bar per minute."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(id=id, classes="rate-chart")
        self.heading = title

    def compose(self) -> ComposeResult:
        """Title and sparkline."""
        yield Label(self.heading, classes="rate-title")
        yield Sparkline([], classes="rate-line")

    def show(self, values: Sequence[float]) -> None:
        """New figures, oldest first."""
        self.query_one(".rate-title", Label).update(headline(self.heading, values))
        self.query_one(Sparkline).data = list(values)
