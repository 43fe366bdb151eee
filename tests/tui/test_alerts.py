"""What is new since the last refresh (tui.alerts): once per event, nothing for the start."""

from __future__ import annotations

from dataclasses import replace

from tui_fake import NOW, ORGS, SYSTEM

from tui.alerts import KEY, Alert, AlertKind, org_alerts, system_alerts
from tui.views import Overview, QueueView, SystemView

OVERVIEW = Overview(NOW, ORGS)


def with_state(overview: Overview, org_id: int, state: str) -> Overview:
    """The overview with one organization in another state."""
    orgs = tuple(replace(o, state=state) if o.id == org_id else o for o in overview.orgs)
    return replace(overview, orgs=orgs)


def test_nothing_is_new_when_the_ui_starts() -> None:
    # Given an organization needing attention, a dead letter and a silent worker at start-up
    assert any(o.state == "needs_attention" for o in ORGS)
    assert SYSTEM.queues[1].dead == 1
    assert SYSTEM.workers[2].heartbeat_age_s > 60
    # Then the first refresh raises nothing
    assert org_alerts(None, OVERVIEW) == []
    assert system_alerts(None, SYSTEM) == []


def test_an_organization_entering_needs_attention_is_told_once_with_its_key() -> None:
    later = with_state(OVERVIEW, 2, "needs_attention")
    assert org_alerts(OVERVIEW, later) == [
        Alert(
            AlertKind.ATTENTION,
            f"Tall og Tast Regnskap needs attention: press {KEY} to open it.",
            2,
        )
    ]
    assert org_alerts(later, later) == [], "still needing attention is not new"
    assert org_alerts(OVERVIEW, OVERVIEW) == [], "org 4 needed attention already"


def test_leaving_and_entering_needs_attention_again_is_a_new_event() -> None:
    recovered = with_state(OVERVIEW, 4, "syncing")
    again = org_alerts(recovered, OVERVIEW)
    assert [(a.kind, a.org_id) for a in again] == [(AlertKind.ATTENTION, 4)]


def test_an_organization_first_seen_needing_attention_is_new() -> None:
    newcomer = replace(ORGS[0], id=99, name="Ny AS", state="needs_attention")
    later = replace(OVERVIEW, orgs=(*ORGS, newcomer))
    assert [a.org_id for a in org_alerts(OVERVIEW, later)] == [99]


def system_with(*, dead: int = 1, ages: tuple[float, ...] = (1.2, 3.9, 812.0)) -> SystemView:
    """The fake system with the onboarding queue's dead letters and the workers' ages."""
    workers = tuple(
        replace(w, heartbeat_age_s=age) for w, age in zip(SYSTEM.workers, ages, strict=True)
    )
    queues = (SYSTEM.queues[0], QueueView("onboarding", 2, 0, dead))
    return replace(SYSTEM, workers=workers, queues=queues)


def test_new_dead_letters_are_told_per_queue_once_and_not_when_they_go() -> None:
    one, three = system_with(dead=2), system_with(dead=4)
    assert system_alerts(SYSTEM, one) == [
        Alert(
            AlertKind.DEAD_LETTER,
            f"A job on the onboarding queue failed for good (a new dead letter): "
            f"press {KEY} for the jobs.",
        )
    ]
    assert [a.sentence.split(" on ")[0] for a in system_alerts(one, three)] == ["2 jobs"]
    assert system_alerts(three, three) == []
    assert system_alerts(three, SYSTEM) == [], "a retried dead letter is no alert"


def test_a_worker_whose_heartbeat_stops_is_told_once() -> None:
    silent = system_with(ages=(1.2, 75.0, 812.0))
    assert system_alerts(SYSTEM, silent) == [
        Alert(
            AlertKind.WORKER_SILENT,
            f"Worker ledger-1 pid 4243 slot 2/2 stopped sending heartbeats (none for 1m 15s): "
            f"press {KEY} for the workers.",
        )
    ]
    assert system_alerts(silent, system_with(ages=(2.0, 77.0, 814.0))) == [], "still silent"
    assert system_alerts(SYSTEM, replace(SYSTEM, workers=SYSTEM.workers[:1])) == [], (
        "a worker gone from the list (stopped and forgotten) is not a silent one"
    )
