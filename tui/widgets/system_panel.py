"""The Jobs screen's bottom: workers with heartbeat age, queue depths, work that looks stuck."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Label, Static

from shared.jobs import StuckChunk, chunk_range
from tui import format as fmt
from tui.views import SystemView

#: characters of a worker's name shown (its heartbeat age before it)
NAME_WIDTH = 29
#: what marks a worker not heard from for too long
SILENT = "silent"


def workers_text(system: SystemView) -> str:
    """One line per worker: its heartbeat age and name (host, pid, slot), silent ones marked."""
    if not system.workers:
        return "[$text-error]No worker has been heard from: start `ledgersync worker`.[/]"
    lines = []
    for worker in system.workers:
        age = fmt.duration(worker.heartbeat_age_s)
        alive = worker.heartbeat_age_s < system.alive_within_s
        width = NAME_WIDTH if alive else NAME_WIDTH - len(SILENT) - 1
        name = escape(fmt.one_line(worker.name or worker.id, width))
        lines.append(f"{age:>7} " + ("" if alive else f"[$text-error]{SILENT}[/] ") + name)
    return "\n".join(lines)


def queues_text(system: SystemView) -> str:
    """One line per queue: waiting, delayed, dead."""
    lines = [f"{'queue':<12} {'waiting':>8} {'delayed':>8} {'dead':>6}"]
    for queue in system.queues:
        dead = f"[$text-error]{queue.dead:>6}[/]" if queue.dead else f"{queue.dead:>6}"
        lines.append(escape(f"{queue.name:<12} {queue.depth:>8} {queue.delayed:>8} ") + dead)
    return "\n".join(lines)


def stuck_text(stuck: Sequence[StuckChunk], now: dt.datetime) -> str:
    """One line per chunk that looks stuck."""
    if not stuck:
        return "[$text-success]Nothing looks stuck.[/]"
    lines = []
    for chunk in stuck:
        since = fmt.duration(max(0.0, (now - chunk.since).total_seconds()))
        died = f", its worker died {chunk.abandoned}×" if chunk.abandoned else ""
        when = chunk_range(chunk.date_from, chunk.date_to)
        lines.append(
            f"{escape(fmt.one_line(chunk.org_name, 22))} · {when} (chunk {chunk.chunk_id}) · "
            f"{chunk.state} {since}{died}"
        )
    return "\n".join(lines)


class SystemPanel(Horizontal):
    """Workers | queues | stuck work, side by side."""

    def compose(self) -> ComposeResult:
        """Three boxes."""
        for key, title in (
            ("workers", "Workers (heartbeat age)"),
            ("queues", "Queues"),
            ("stuck", "Looks stuck"),
        ):
            with Vertical(classes="panel-box", id=f"panel-{key}"):
                yield Label(title, classes="panel-title")
                yield Static(id=f"panel-{key}-text")

    def show_system(self, system: SystemView) -> None:
        """Workers and queues."""
        self.query_one("#panel-workers-text", Static).update(workers_text(system))
        self.query_one("#panel-queues-text", Static).update(queues_text(system))

    def show_stuck(self, stuck: Sequence[StuckChunk], now: dt.datetime) -> None:
        """Chunks that look stuck."""
        self.query_one("#panel-stuck-text", Static).update(stuck_text(stuck, now))
