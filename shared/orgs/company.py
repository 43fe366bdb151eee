"""Choosing the company an organization synchronizes: what the choice removes or doubles, and
the choice itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import OrgState
from shared.orgs import followups, webhooks
from shared.orgs.state import set_state


class CompanyChangeRefused(BadInput):
    """Choosing the company would drop another company's data, or duplicate another organization."""


@dataclass(frozen=True, slots=True)
class CompanyChoice:
    """What choosing a company does beyond starting its sync: whose data goes, whom it doubles."""

    org: str  #: "Acme (#12)"
    chosen: str  #: "Beta AS (202)"
    replaced: str | None  #: the company whose data would be removed, if any
    postings: int  #: the replaced company's postings
    duplicates: tuple[str, ...]  #: other organizations that synchronize the chosen company
    duplicate_ids: tuple[int, ...] = ()

    @property
    def needs_confirming(self) -> bool:
        """Whether the operator must confirm (the data removed, or the duplicate)."""
        return self.replaced is not None or bool(self.duplicates)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """What the operator confirmed for a company choice: removing another company's data
    (`replace`), synchronizing a company another organization already does (`allow_duplicate`)."""

    replace: bool = False
    allow_duplicate: bool = False


async def company_choice(conn: asyncpg.Connection, org_id: int, company_id: int) -> CompanyChoice:
    """What choosing `company_id` would do, for a confirmation that names both companies."""
    company = await _reachable(conn, org_id, company_id)
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    if org is None:
        raise BadInput(f"No organization #{org_id}; `ledgersync org list` shows them.")
    return await _choice(conn, org, company)


async def _reachable(conn: asyncpg.Connection, org_id: int, company_id: int) -> asyncpg.Record:
    company = await conn.fetchrow(Q["company_by_org"], org_id, company_id)
    if company is None:
        raise BadInput(
            f"Company {company_id} is not reachable with this organization's token; "
            "`ledgersync org companies` lists the ones it reaches."
        )
    return company


async def _choice(
    conn: asyncpg.Connection, org: asyncpg.Record, company: asyncpg.Record
) -> CompanyChoice:
    changing = org["company_id"] is not None and org["company_id"] != company["company_id"]
    held = changing and await conn.fetchval(Q["org_company_data"], org["id"])
    others = await conn.fetch(Q["org_same_company"], org["id"], company["company_id"])
    return CompanyChoice(
        org=f"{org['name']} (#{org['id']})",
        chosen=f"{company['name']} ({company['company_id']})",
        replaced=f"{org['company_name']} ({org['company_id']})" if held else None,
        postings=await conn.fetchval(Q["org_posting_count"], org["id"]) if held else 0,
        duplicates=tuple(f"{o['name']} (#{o['id']})" for o in others),
        duplicate_ids=tuple(o["id"] for o in others),
    )


async def select_company(
    conn: asyncpg.Connection,
    org_id: int,
    company_id: int,
    confirmed: Confirmed = Confirmed(),
    *,
    broker: RedisBroker | None = None,
) -> dict[str, int]:
    """Choose the company to synchronize; it must be one the token reaches.

    Another company's data (postings, years, chunks, check runs) is removed in the same
    transaction that records the new company, and only when `confirmed.replace`; a company
    another organization already synchronizes needs `confirmed.allow_duplicate`. With `broker`,
    `plan_sync` is sent once committed. Returns what was removed.
    """
    company = await _reachable(conn, org_id, company_id)
    for attempt in range(3):
        try:
            async with conn.transaction():
                removed = await _choose(conn, org_id, company, confirmed)
                staged = await followups.stage(conn, broker, "plan_sync", org_id)
        except asyncpg.DeadlockDetectedError:
            if attempt == 2:
                raise BadInput(
                    "The organization is busy being planned; choose the company again."
                ) from None
            continue
        await followups.send(conn, broker, staged)
        return removed
    raise AssertionError("unreachable")


async def _choose(
    conn: asyncpg.Connection, org_id: int, company: asyncpg.Record, confirmed: Confirmed
) -> dict[str, int]:
    """The company change inside its transaction, the organization locked first."""
    org = await conn.fetchrow(Q["org_lock_for_change"], org_id)
    if org is None:
        raise BadInput(f"No organization #{org_id}; `ledgersync org list` shows them.")
    choice = await _choice(conn, org, company)
    _refuse_unconfirmed(choice, org, confirmed)
    changing = org["company_id"] is not None and org["company_id"] != company["company_id"]
    removed: dict[str, int] = {}
    if changing:
        removed = dict(await conn.fetchrow(Q["org_forget_company"], org_id))
        await webhooks.forget_company(conn, org_id)
    await conn.execute(
        Q["org_select_company"],
        org_id,
        company["company_id"],
        company["name"],
        company["organization_number"],
    )
    await set_state(conn, org_id, OrgState.SYNCING)
    detail: dict[str, Any] = {"company_id": company["company_id"], "company_name": company["name"]}
    if changing:
        detail |= {
            "previous_company_id": org["company_id"],
            "previous_company_name": org["company_name"],
            "removed": removed,
        }
    if choice.duplicates:
        detail["duplicate_of"] = list(choice.duplicate_ids)
    await audit.record(conn, "org.select_company", org_id, detail)
    return removed


def _refuse_unconfirmed(choice: CompanyChoice, org: asyncpg.Record, confirmed: Confirmed) -> None:
    """CompanyChangeRefused when the choice removes data or doubles a company unconfirmed."""
    if choice.replaced and not confirmed.replace:
        raise CompanyChangeRefused(
            f"{org['name']} (#{org['id']}) holds data of {choice.replaced}; choosing "
            f"{choice.chosen} removes it: add --replace to confirm."
        )
    if choice.duplicates and not confirmed.allow_duplicate:
        raise CompanyChangeRefused(
            f"{choice.chosen} is already synchronized by {', '.join(choice.duplicates)}; add "
            "--allow-duplicate to synchronize it twice."
        )
