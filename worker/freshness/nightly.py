"""When each organization's nightly pass is due, pure.

At `nightly_at` (Oslo local time) plus an offset inside `window_s`: the organizations sharing an
employee token (one rate limit) are sorted by id and given slots i·window/n of n, each shifted
by an offset within its slot that is stable per token, so tokens do not all start on the slot
edges together. Local times are reckoned with zoneinfo, so a DST night moves nothing by an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
#: default start of the night, Oslo time
NIGHTLY_AT = dt.time(2, 0)
#: default seconds the night's passes are spread over
NIGHTLY_WINDOW_S = 4 * 3600.0
#: of a slot, the share a token's offset may move a pass (the rest keeps passes apart)
SLOT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Night:
    """When the nightly passes run."""

    at: dt.time = NIGHTLY_AT
    window_s: float = NIGHTLY_WINDOW_S


#: 02:00 Oslo time, over four hours
DEFAULT_NIGHT = Night()


def offset_s(org_id: int, group: Iterable[int], token: str | None, window_s: float) -> float:
    """Seconds after the night's start for `org_id` among the organizations of one token."""
    members = sorted({*group, org_id})
    slot = window_s / len(members)
    shift = _stable_share(token or f"org:{org_id}") * slot * SLOT_SHARE
    return members.index(org_id) * slot + shift


def _stable_share(key: str) -> float:
    """A number in [0, 1) that depends on `key` alone (not on the process, unlike hash())."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def next_due(after: dt.datetime, offset: float, night: Night = DEFAULT_NIGHT) -> dt.datetime:
    """The first nightly time strictly after `after` (aware), in UTC: the night's local start
    plus `offset` seconds (elapsed seconds, so a DST change within the window moves nothing)."""
    local = after.astimezone(OSLO)
    for days in range(0, 3):
        day = local.date() + dt.timedelta(days=days)
        start = dt.datetime.combine(day, night.at, tzinfo=OSLO)
        due = start.astimezone(dt.UTC) + dt.timedelta(seconds=offset)
        if due > after:
            return due
    raise AssertionError("unreachable: a night comes every day")


def spread(
    tokens: Mapping[int, str | None], after: dt.datetime, night: Night = DEFAULT_NIGHT
) -> dict[int, dt.datetime]:
    """Each organization's next nightly time, given its token's fingerprint (None: its own)."""
    groups: dict[str, list[int]] = {}
    for org_id, token in tokens.items():
        groups.setdefault(token or f"org:{org_id}", []).append(org_id)
    return {
        org_id: next_due(
            after, offset_s(org_id, groups[token or f"org:{org_id}"], token, night.window_s), night
        )
        for org_id, token in tokens.items()
    }
