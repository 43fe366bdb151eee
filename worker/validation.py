"""Validate an organization's token and discover the companies it reaches.

consumer + employee token -> session token -> who-am-I; then the token's own company (when it may
read it) and every client of `company/>withLoginAccess`. A token that reaches one company selects
it at once; several wait for an operator's choice.
"""

from __future__ import annotations

import asyncpg
import structlog

from shared.db.queries import Q
from shared.models import OrgState
from shared.orgs import Confirmed, select_company
from shared.orgs.state import NO_COMPANY, needs_attention, set_state
from shared.outbox import stage
from worker.tripletex.access import Access
from worker.tripletex.errors import Forbidden
from worker.tripletex.protocol import Company

logger = structlog.get_logger(__name__)


async def validate(access: Access, org_id: int) -> tuple[OrgState, int | None]:
    """Validate, discover and store; the state the organization moved to, and (when it syncs)
    the staged `plan_sync` message, committed with that state (send it with `outbox.flush`)."""
    access.forget(org_id)
    await access.renew(org_id, stale_generation=-1)
    me = await access.call(org_id, 0, access.client.who_am_i)
    own = await _own_company(access, org_id, me.company_id)
    clients = await access.call(org_id, 0, access.client.companies_with_login_access)
    async with access.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            Q["credentials_store_owner"],
            org_id,
            me.employee_id,
            me.actual_employee_id,
            me.company_id,
        )
        await _store_companies(conn, org_id, own, clients)
        state = await _next_state(conn, org_id)
        staged = await stage(conn, "plan_sync", org_id) if state is OrgState.SYNCING else None
    logger.info(
        "token_validated", org_id=org_id, companies=len(clients) + (own is not None), state=state
    )
    return state, staged


async def _own_company(access: Access, org_id: int, company_id: int) -> Company | None:
    """The token's own company; None for an accountant token, which may not read it."""
    try:
        return await access.call(org_id, 0, lambda auth: access.client.company(auth, company_id))
    except Forbidden:
        return None


async def _store_companies(
    conn: asyncpg.Connection, org_id: int, own: Company | None, clients: list[Company]
) -> None:
    await conn.execute(Q["companies_clear"], org_id)
    reachable = ([(own, True)] if own else []) + [(c, False) for c in clients if c != own]
    for company, is_own in reachable:
        await conn.execute(
            Q["company_upsert"],
            org_id,
            company.id,
            company.name or f"Company {company.id}",
            company.organization_number,
            company.customer_company_id,
            is_own,
        )


async def _next_state(conn: asyncpg.Connection, org_id: int) -> OrgState:
    """Keep a chosen company that is still reachable; pick the only one; else ask."""
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    reachable = [row["company_id"] for row in await conn.fetch(Q["companies_by_org"], org_id)]
    if not reachable:
        await needs_attention(conn, org_id, NO_COMPANY)
        return OrgState.NEEDS_ATTENTION
    chosen = org["company_id"] if org["company_id"] in reachable else None
    if chosen is None and len(reachable) == 1 and org["company_id"] is None:
        chosen = reachable[0]
    if chosen is None:
        await set_state(conn, org_id, OrgState.CHOOSE_COMPANY)
        return OrgState.CHOOSE_COMPANY
    # not an operator's choice: the token reaches this company alone (or it was chosen before)
    await select_company(conn, org_id, chosen, Confirmed(allow_duplicate=True))
    return OrgState.SYNCING
