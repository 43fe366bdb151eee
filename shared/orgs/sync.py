"""Synchronizing again on request: every year, or one within the company's accounting years."""

from __future__ import annotations

import datetime as dt

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import FIRST_YEAR, Method
from shared.orgs import followups
from shared.orgs.state import request_plan


async def request_sync(
    conn: asyncpg.Connection, org_id: int, year: int | None, *, broker: RedisBroker | None = None
) -> None:
    """Record a request to synchronize again (every year, or one); with `broker`, `plan_sync`
    is sent once committed."""
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    if org is None:
        raise BadInput(f"No organization {org_id}; `ledgersync org list` shows them.")
    if org["method"] == Method.SAFT:
        raise BadInput(
            f"{org['name']} is updated by importing a new SAF-T file: "
            "`ledgersync saft import ORG FILE` (or i on its screen in the terminal UI)."
        )
    if org["company_id"] is None:
        raise BadInput(
            f"Organization {org['name']!r} has no company chosen yet; choose one first "
            "(`ledgersync org select`, or the terminal UI)."
        )
    if year is not None:
        await check_year(conn, org_id, year)
    async with conn.transaction():
        await request_plan(conn, org_id)
        await audit.record(conn, "org.sync", org_id, {"year": year})
        staged = await followups.stage(conn, broker, "plan_sync", org_id, year)
    await followups.send(conn, broker, staged)


async def check_year(conn: asyncpg.Connection, org_id: int, year: int) -> None:
    """BadInput unless `year` lies within the company's accounting years (1970..next year where
    they are unknown yet)."""
    this_year = dt.date.today().year
    bounds = await conn.fetchrow(Q["sync_years_bounds"], org_id)
    if bounds is not None and bounds["first"] is not None:
        first, last = int(bounds["first"]), max(int(bounds["last"]), this_year)
        where = "the company's accounting years"
    else:
        first, last = FIRST_YEAR, this_year + 1
        where = "the years a company can have"
    if not first <= year <= last:
        shown = str(year) if abs(year) < 10**12 else f"{str(year)[:12]}…"
        raise BadInput(f"Year {shown} is outside {where}, {first} to {last}; choose one of them.")
