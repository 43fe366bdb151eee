"""What is new since the last refresh and worth interrupting the operator for (pure: no I/O).

Each function takes the view the previous refresh saw and the one just read; with no previous
view (the UI has just started) nothing is new, so what was already so raises no alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.models import OrgState
from tui import format as fmt
from tui.views import Overview, SystemView

#: the key that goes to the last alert's organization or to the Jobs screen
KEY = "!"


class AlertKind(StrEnum):
    """What happened."""

    #: an organization entered needs-attention
    ATTENTION = "attention"
    #: a job failed for good: a new message in a Dramatiq dead-letter set
    DEAD_LETTER = "dead_letter"
    #: a worker that was alive stopped sending heartbeats
    WORKER_SILENT = "worker_silent"


@dataclass(frozen=True, slots=True)
class Alert:
    """One event, told in one sentence that names the key going to it."""

    kind: AlertKind
    sentence: str
    #: the organization whose screen `KEY` opens; None: the Jobs screen (jobs, workers, queues)
    org_id: int | None = None


def org_alerts(before: Overview | None, now: Overview) -> list[Alert]:
    """Organizations that need attention now and did not in the previous refresh."""
    if before is None:
        return []
    had = {org.id for org in before.orgs if org.state == OrgState.NEEDS_ATTENTION}
    return [
        Alert(AlertKind.ATTENTION, f"{org.name} needs attention: press {KEY} to open it.", org.id)
        for org in now.orgs
        if org.state == OrgState.NEEDS_ATTENTION and org.id not in had
    ]


def system_alerts(before: SystemView | None, now: SystemView) -> list[Alert]:
    """New dead letters, queue by queue, and workers gone silent since the previous refresh."""
    if before is None:
        return []
    return [*_dead_letters(before, now), *_silent_workers(before, now)]


def _dead_letters(before: SystemView, now: SystemView) -> list[Alert]:
    dead = {queue.name: queue.dead for queue in before.queues}
    found = []
    for queue in now.queues:
        new = queue.dead - dead.get(queue.name, 0)
        if new > 0:
            jobs = "A job" if new == 1 else f"{new} jobs"
            letters = "a new dead letter" if new == 1 else "new dead letters"
            found.append(
                Alert(
                    AlertKind.DEAD_LETTER,
                    f"{jobs} on the {queue.name} queue failed for good ({letters}): "
                    f"press {KEY} for the jobs.",
                )
            )
    return found


def _silent_workers(before: SystemView, now: SystemView) -> list[Alert]:
    alive = {w.id for w in before.workers if w.heartbeat_age_s < before.alive_within_s}
    return [
        Alert(
            AlertKind.WORKER_SILENT,
            f"Worker {worker.name or worker.id} stopped sending heartbeats "
            f"(none for {fmt.duration(worker.heartbeat_age_s)}): press {KEY} for the workers.",
        )
        for worker in now.workers
        if worker.id in alive and worker.heartbeat_age_s >= now.alive_within_s
    ]
