"""An organization's webhook subscriptions when it is removed or changes company.

They are not deleted here: that takes a call to Tripletex. Each becomes `removing`, with a copy
of the employee token's ciphertext (the organization's credentials may be gone by the time the
worker runs), and `remove_webhooks(row id)` is staged in the command's transaction; a worker's
outbox relay sends it should the command have no broker (removal never has one).
"""

from __future__ import annotations

import asyncpg

from shared import outbox
from shared.db.queries import Q


async def release(conn: asyncpg.Connection, org_id: int) -> list[int]:
    """Mark the organization's subscriptions for removal at Tripletex; the staged messages."""
    rows = await conn.fetch(Q["webhook_subscriptions_release"], org_id)
    return [
        staged
        for row in rows
        if (staged := await outbox.stage(conn, "remove_webhooks", row["id"])) is not None
    ]


async def forget_company(conn: asyncpg.Connection, org_id: int) -> None:
    """The former company's subscriptions go (as on removal), its deliveries and versions too."""
    await release(conn, org_id)
    await conn.execute(Q["webhook_org_forget"], org_id)
