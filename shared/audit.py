"""The audit log: every action that changed something, who did it and when (shown in the UI's
timeline)."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any

import asyncpg

from shared.db.queries import Q


async def record(
    conn: asyncpg.Connection,
    action: str,
    org_id: int | None,
    detail: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> None:
    """Record `action` on the organization, by `actor` (the OS user unless named)."""
    who = actor or getpass.getuser()
    await conn.execute(Q["audit_insert"], who, action, org_id, dict(detail or {}))
