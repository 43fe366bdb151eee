"""Finding an organization and reading it: by name or id, its summary, progress and companies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import Method
from shared.orgs.naming import MAX_ID, name_problem, parse_id, shown
from shared.orgs.tokens import shown_fingerprint


async def find(conn: asyncpg.Connection, ref: str) -> asyncpg.Record:
    """An organization by exact name or id (`#N` always the id); BadInput when there is none, or
    when the name is also another organization's id."""
    ref = ref.strip()
    if name_problem(ref) is not None:
        raise BadInput(f"No organization {shown(ref)}; `ledgersync org list` shows them.")
    if ref.startswith("#"):
        row = await conn.fetchrow(Q["org_by_id"], parse_id(ref[1:]))
        if row is None:
            raise BadInput(f"No organization has id {ref}; `ledgersync org list` shows them.")
        return row
    by_name = await conn.fetchrow(Q["org_by_name"], ref) if ref else None
    by_id = None
    if ref.isascii() and ref.isdigit() and 0 < int(ref) <= MAX_ID:
        by_id = await conn.fetchrow(Q["org_by_id"], int(ref))
    if by_name is not None and by_id is not None and by_name["id"] != by_id["id"]:
        raise BadInput(
            f"{ref!r} is ambiguous: the name of {by_name['name']!r} (#{by_name['id']}) and the id "
            f"of {by_id['name']!r} (#{by_id['id']}); write #{by_id['id']} for the id."
        )
    row = by_name or by_id
    if row is None:
        raise BadInput(f"No organization {shown(ref)}; `ledgersync org list` shows them.")
    return row


def summary(org: asyncpg.Record) -> dict[str, Any]:
    """The contract's fields of an organization, without per-year progress."""
    company = None
    # a SAF-T organization's company comes from its file: a name and number, no Tripletex id
    if org["company_id"] is not None or org["company_org_number"] is not None:
        company = {
            "id": org["company_id"],
            "name": org["company_name"],
            "organizationNumber": org["company_org_number"],
        }
    return {
        "id": org["id"],
        "name": org["name"],
        "method": org["method"],
        "provider": org["provider"],
        "state": org["state"],
        "state_reason": org["state_reason"],
        "company": company,
        "last_error": org["last_error"],
        "last_error_at": org["last_error_at"],
        "token_fingerprint": (
            None if org["method"] != Method.API else shown_fingerprint(org["token_fingerprint"])
        ),
    }


async def details(conn: asyncpg.Connection, org: asyncpg.Record) -> dict[str, Any]:
    """`org show --json`: the summary with per-year progress."""
    years = [
        {
            "year": row["year"],
            "state": row["state"],
            "expected": row["expected"],
            "imported": row["imported"],
            # of those, postings a re-sync holds from the last import and has not redone yet
            "kept": row["kept"],
            "chunks_total": row["chunks_total"],
            "chunks_done": row["chunks_done"],
            "chunks_failed": row["chunks_failed"],
            "difference": row["difference"],
            # what is knowable without totals: dates done, and up to which day
            "days_done": row["days_done"],
            "days_total": row["days_total"],
            "covered_through": _day_before(row["open_from"]),
            "in_annual_accounts": row["listed"],
            "proven": row["proven"],
            "proof_note": row["proof_note"],
        }
        for row in await conn.fetch(Q["years_progress"], org["id"])
    ]
    # the registers postings point to, as the last sync refreshed them (refused ones first)
    registers = [
        {
            "register": r["register"],
            "refreshed_at": r["refreshed_at"],
            "listed": r["listed"],
            "refused": r["refused"],
        }
        for r in await conn.fetch(Q["register_refreshes_of_org"], org["id"])
    ]
    return summary(org) | {"years": years, "registers": registers}


async def companies(conn: asyncpg.Connection, org_id: int) -> list[dict[str, Any]]:
    """`org companies --json`: the companies the token reaches."""
    return [
        {
            "id": row["company_id"],
            "name": row["name"],
            "organizationNumber": row["organization_number"],
            "customerCompanyId": row["customer_company_id"],
            "own": row["is_own"],
        }
        for row in await conn.fetch(Q["companies_by_org"], org_id)
    ]


def _day_before(day: dt.date | None) -> str | None:
    """The day before, as ISO text (None stays None)."""
    return None if day is None else (day - dt.timedelta(days=1)).isoformat()
