"""An organization's state as its work moves it: the transitions the workers' steps make.

Each writes in the caller's transaction (none of them is audited: the operator's commands are,
in `register`, `company`, `tokens`, `sync` and `lifecycle`).
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from shared.db.queries import Q
from shared.models import OrgState

#: why an organization one of whose years failed needs attention
YEARS_FAILED = (
    "{failed} year(s) failed: chunks that failed or sums that differ from Tripletex; "
    "see `org show` and `jobs list`."
)
#: why a valid token that reaches no company needs attention
NO_COMPANY = "The token is valid but reaches no company; check which company it was created in."


async def set_state(
    conn: asyncpg.Connection, org_id: int, state: OrgState, reason: str | None = None
) -> None:
    """Move the organization to `state`, with the reason (None clears it)."""
    await conn.execute(Q["org_set_state"], org_id, state, reason)


async def needs_attention(conn: asyncpg.Connection, org_id: int, sentence: str) -> None:
    """A person must act: the sentence says what (and becomes the last error)."""
    await set_state(conn, org_id, OrgState.NEEDS_ATTENTION, sentence)


async def attention_unless_settled(conn: asyncpg.Connection, org_id: int, sentence: str) -> None:
    """A job stopped for good: needs attention, unless it does already or was cancelled."""
    await conn.execute(Q["org_attention_unless_settled"], org_id, sentence)


async def reopen(conn: asyncpg.Connection, org_id: int, state: OrgState) -> None:
    """Works again (validating or syncing), unless an operator cancelled it."""
    await conn.execute(Q["org_reopen"], org_id, state)


async def request_plan(conn: asyncpg.Connection, org_id: int) -> None:
    """A plan of the organization's import is wanted (with the change that calls for it)."""
    await conn.execute(Q["org_request_plan"], org_id)


async def plan_completed(
    conn: asyncpg.Connection, org_id: int, started: dt.datetime, year: int | None
) -> None:
    """The plan (of `year`, None: every year) that started at `started` is complete."""
    await conn.execute(Q["org_plan_completed"], org_id, started, year)


async def company_from_file(
    conn: asyncpg.Connection, org_id: int, name: str | None, org_number: str | None
) -> None:
    """A SAF-T organization's company, as its file's header names it."""
    await conn.execute(Q["org_set_company_from_file"], org_id, name, org_number)


async def settle_current_file(conn: asyncpg.Connection, org_id: int) -> None:
    """Its current SAF-T file was submitted again: synced, unless a file is being imported."""
    await conn.execute(Q["saft_org_settle_current"], org_id)


async def settle_org(conn: asyncpg.Connection, org_id: int) -> None:
    """The organization is synced when every year is, needs attention when one failed.

    Call inside a transaction: the organization's row lock orders concurrent settlements.
    """
    org = await conn.fetchrow(Q["org_lock"], org_id)
    if org is None or org["cancel_requested"]:
        return  # stays cancelled: `org resume` settles it later
    summary = await conn.fetchrow(Q["org_years_summary"], org_id)
    if summary["open"]:
        await set_state(conn, org_id, OrgState.SYNCING)
    elif summary["failed"]:
        await needs_attention(conn, org_id, YEARS_FAILED.format(failed=summary["failed"]))
    else:
        await set_state(conn, org_id, OrgState.SYNCED)
