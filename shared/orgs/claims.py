"""The scheduler's claims on organizations: an onboarding step lost.

A claim moves the organization's clock (so the next tick does not claim it again) and returns
what to send; the scheduler sends it.
"""

from __future__ import annotations

import asyncpg

from shared.db.queries import Q

#: onboarding steps of an organization that may be lost: the claiming query, and the actor to send
LOST_ORG_STEPS = (
    ("orgs_validation_lost", "validate_token"),
    ("orgs_plan_lost", "plan_sync"),
)


async def claim_lost_steps(
    conn: asyncpg.Connection, after_s: float
) -> list[tuple[str, tuple[int, ...]]]:
    """(actor, args) of the onboarding steps quiet for more than `after_s` s; claimed."""
    return [
        (actor, tuple(row))
        for query, actor in LOST_ORG_STEPS
        for row in await conn.fetch(Q[query], after_s)
    ]
