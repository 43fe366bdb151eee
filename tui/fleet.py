"""The fleet view's figures from the rows and Redis readings that hold them (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.models import OrgState
from shared.orgs import shown_fingerprint
from shared.traffic import Traffic
from tui.views import FleetEta, FleetView, OrgRow, Overview, TokenLoad, Waiting

#: minutes the sparklines span
MINUTES = 60
#: states in which an organization waits on an operator
WAITING_STATES = frozenset(
    {OrgState.CHOOSE_COMPANY, OrgState.NEEDS_ATTENTION, OrgState.AWAITING_FILE}
)


def postings_per_minute(rows: Sequence[Mapping[str, Any]]) -> tuple[int, ...]:
    """`chunks_done_per_minute` rows as postings per minute, oldest first (`ago` 0 last)."""
    found = {row["ago"]: row["postings"] for row in rows}
    return tuple(int(found.get(ago, 0)) for ago in range(MINUTES - 1, -1, -1))


def per_second(per_minute: Sequence[int]) -> tuple[float, ...]:
    """Counts per minute as rates per second."""
    return tuple(n / 60.0 for n in per_minute)


def states(orgs: Sequence[OrgRow]) -> tuple[tuple[str, int], ...]:
    """How many organizations are in each state, every state listed."""
    return tuple((state.value, sum(1 for o in orgs if o.state == state)) for state in OrgState)


def waiting(orgs: Sequence[OrgRow]) -> tuple[Waiting, ...]:
    """Organizations waiting on an operator, the longest waiting first."""
    found = [
        Waiting(o.id, o.name, o.state, o.updated_at)
        for o in orgs
        if o.state in WAITING_STATES and o.updated_at is not None
    ]
    return tuple(sorted(found, key=lambda w: (w.since, w.id)))


def tokens(orgs: Sequence[OrgRow], traffic: Traffic) -> tuple[TokenLoad, ...]:
    """Each token that sent requests in the last hour, busiest first, named by its
    organizations (through the keys the workers noted) and their fingerprint."""
    by_key: dict[str, list[OrgRow]] = {}
    known = {o.id: o for o in orgs}
    for org_id, key in traffic.orgs.items():
        if org_id in known:
            by_key.setdefault(key, []).append(known[org_id])
    counted = {key for minute in (*traffic.minutes, traffic.current) for key in minute}
    loads = []
    for key in counted:
        spending = sorted(by_key.get(key, ()), key=lambda o: o.name)
        prints = {o.token_fingerprint for o in spending if o.token_fingerprint}
        window = traffic.windows.get(key)
        live = window is not None and window.end_ms > traffic.now_ms
        loads.append(
            TokenLoad(
                key=key,
                fingerprint=shown_fingerprint(prints.pop()) if len(prints) == 1 else None,
                orgs=tuple(o.name for o in spending),
                per_minute=tuple(minute.get(key, 0) for minute in traffic.minutes),
                limit=window.limit if window else None,
                window_s=window.window_ms / 1000 if window and window.window_ms else None,
                used=window.sent if window and live else 0,
            )
        )
    return tuple(sorted(loads, key=lambda t: (-sum(t.per_minute), t.orgs, t.key)))


def eta(orgs: Sequence[OrgRow]) -> FleetEta:
    """When the syncing organizations should all be done (see `FleetEta`), from the progress
    every other screen shows: each one's work left and rate (tui.pace)."""
    syncing = [o for o in orgs if o.state == OrgState.SYNCING and not o.cancel_requested]
    lefts = [(o, o.progress.work_left()) for o in syncing]
    known = [(o, left) for o, left in lefts if left is not None]
    fewest = sum(left[0] for _, left in known)
    most = sum(left[1] for _, left in known)
    rate = sum(o.progress.rate or 0.0 for o in syncing)
    estimates: list[tuple[float, float]] = []
    if known and rate > 0:
        estimates.append((fewest / rate, most / rate))
    own = [eta for o, _ in known if (eta := o.progress.eta_s()) is not None]
    if own:
        estimates.append((max(e[0] for e in own), max(e[1] for e in own)))
    if known and most == 0:
        estimates = [(0.0, 0.0)]
    low = min((e[0] for e in estimates), default=None)
    high = max((e[1] for e in estimates), default=None)
    unknown = len(syncing) - len(known)
    return FleetEta(len(syncing), (round(fewest), round(most)), unknown, rate, low, high)


def build(
    overview: Overview, minute_rows: Sequence[Mapping[str, Any]], traffic: Traffic
) -> FleetView:
    """The fleet view from the home screen's organizations, the postings per minute and the
    requests Redis counted."""
    postings = postings_per_minute(minute_rows)
    requests = tuple(sum(minute.values()) for minute in traffic.minutes)
    return FleetView(
        at=overview.at,
        postings_per_s=per_second(postings),
        requests_per_s=per_second(requests),
        states=states(overview.orgs),
        waiting=waiting(overview.orgs),
        tokens=tokens(overview.orgs, traffic),
        eta=eta(overview.orgs),
    )
