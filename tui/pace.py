"""The rate and time left of a sync, from its own start (pure: no I/O).

The rate is an exponentially weighted average of postings per second over the current sync:
each chunk's postings count at the moment it finished, weighted by e^(-age/TAU_S), and the sum
is divided by the weights' integral over the time since the sync started,
TAU_S × (1 - e^(-since/TAU_S)). So in a sync's first seconds the rate is the plain average since
its start (never diluted by a minute that had not begun), in steady state it follows the last
TAU_S or so, through a pause it decays towards 0, and nothing before the sync's start counts.
Postgres sums the weights (the view `year_progress`, with the same TAU_S); `weighted_sum` is that
sum here, for the tests and as its definition.

The time left comes from the work left: postings still to come where the last import's count is
known; else the days not yet imported at the densities (postings a day) of the days done, from
the thinnest to the densest, so the answer is a range where the total is one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: seconds over which a finished chunk's weight falls to 1/e (`year_progress` uses it too)
TAU_S = 30.0
#: the shortest time since a sync's start the rate divides by (its first instant is no rate)
MIN_SPAN_S = 1.0
#: postings per second below which a sync counts as idle (a long pause: nothing shown)
IDLE_PER_S = 0.05


def weighted_sum(finished: Iterable[tuple[float, int]], tau_s: float = TAU_S) -> float:
    """Σ postings × e^(-age/τ) over the chunks finished since the sync started, each given as
    (seconds ago, postings): what `year_progress.weighted` holds."""
    return sum(postings * math.exp(-age_s / tau_s) for age_s, postings in finished)


def rate(weighted: float, since_s: float | None, tau_s: float = TAU_S) -> float | None:
    """Postings per second, weighted towards the last τ seconds of the current sync; None when
    no sync is importing (`since_s` None: it has ended, or not begun)."""
    if since_s is None:
        return None
    span = tau_s * -math.expm1(-max(since_s, MIN_SPAN_S) / tau_s)
    per_s = weighted / span
    return per_s if per_s >= IDLE_PER_S else 0.0


def work_left(
    left_known: int, days_left: int, density_lo: float | None, density_hi: float | None
) -> tuple[float, float] | None:
    """Postings still to come, as (fewest, most): those known to come, plus the days left at the
    thinnest and the densest days done; None when days are left and none is done to go by."""
    if days_left <= 0:
        return float(left_known), float(left_known)
    if density_lo is None or density_hi is None:
        return None
    return left_known + days_left * density_lo, left_known + days_left * density_hi


def eta(left: tuple[float, float] | None, per_s: float | None) -> tuple[float, float] | None:
    """Seconds left, (soonest, latest), for the work left at this rate; None without a rate."""
    if left is None or not per_s:
        return None
    return left[0] / per_s, left[1] / per_s
