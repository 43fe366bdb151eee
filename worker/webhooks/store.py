"""Writes for webhook deliveries: one voucher made exactly as fetched, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from shared.db.queries import Q
from shared.errors import StorageError

#: the date bounds of a voucher's scope in chunk_merge: every date (the voucher filter decides)
ALL_DATES = (dt.date.min, dt.date.max)


class CompanyChanged(StorageError):
    """The organization no longer synchronizes the company the voucher was fetched from."""


@dataclass(frozen=True, slots=True)
class Voucher:
    """What a fetched voucher says beside its postings (read in Python; amounts by Postgres)."""

    id: int
    version: int
    #: the years its postings' dates lie in (the voucher's own date where it has none)
    years: frozenset[int]
    postings: int


@dataclass(frozen=True, slots=True)
class Fetched:
    """A voucher as a delivery's job fetched it: its body as received, None when it is gone."""

    voucher_id: int
    body: bytes | None


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one voucher did: its outcome word and a sentence for the cockpit."""

    outcome: str
    what: str


def read_voucher(body: bytes) -> Voucher:
    """`{"value": {id, version, date, postings: [...]}}` -> Voucher; ValueError when not one."""
    try:
        value: dict[str, Any] = orjson.loads(body)["value"]
        postings = value.get("postings") or []
        dates = {str(p["date"]) for p in postings if p.get("date")} or {str(value["date"])}
        years = frozenset(int(d[:4]) for d in dates)
        return Voucher(int(value["id"]), int(value.get("version") or 0), years, len(postings))
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not a Tripletex voucher: {exc}") from None


async def apply_voucher(
    conn: asyncpg.Connection,
    org_id: int,
    company_id: int,
    fetched: Fetched,
    deliveries: Sequence[int],
) -> Applied:
    """In one transaction: the organization's postings of the voucher become exactly the
    fetched ones (none when `body` is None: deleted), unless a newer version was applied; the
    deliveries are marked applied with the outcome."""
    voucher_id, body = fetched.voucher_id, fetched.body
    voucher = None if body is None else read_voucher(body)
    async with conn.transaction():
        if await conn.fetchval(Q["webhook_company_fence"], org_id, company_id) is None:
            raise CompanyChanged(f"Organization {org_id} changed company; voucher not applied.")
        if voucher is None:
            claimed = await conn.fetchrow(Q["voucher_version_delete"], org_id, voucher_id)
        else:
            claimed = await conn.fetchrow(
                Q["voucher_version_claim"], org_id, voucher_id, voucher.version
            )
        if claimed is None:
            applied = Applied("stale", f"voucher {voucher_id}: a newer version was applied")
        else:
            applied = await _merge(conn, org_id, voucher_id, body, voucher)
        done = list(deliveries)
        await conn.execute(Q["webhook_deliveries_applied"], org_id, done, applied.outcome)
    return applied


async def _merge(
    conn: asyncpg.Connection,
    org_id: int,
    voucher_id: int,
    body: bytes | None,
    voucher: Voucher | None,
) -> Applied:
    """The voucher's postings replaced through chunk_merge, the years touched marked changed."""
    dates_query = Q["webhook_voucher_dates"]
    was = {r["posting_date"] for r in await conn.fetch(dates_query, org_id, voucher_id)}
    before = {day.year for day in was}
    await conn.execute(Q["chunk_plan_custom"])
    await conn.execute(Q["chunk_stage_create"])
    if body is not None:
        await conn.execute(Q["webhook_voucher_stage"], body)
    merged = await conn.fetchrow(Q["chunk_merge"], org_id, *ALL_DATES, None, None, voucher_id)
    assert merged is not None
    years = before | (voucher.years if voucher else set())
    await conn.execute(Q["webhook_years_changed"], org_id, sorted(years))
    now = {r["posting_date"] for r in await conn.fetch(dates_query, org_id, voucher_id)}
    await conn.execute(Q["webhook_chunks_recount"], org_id, sorted(was | now))
    if voucher is None:
        outcome, what = "deleted", f"voucher {voucher_id} deleted: {merged['deleted']} postings"
    else:
        outcome = "updated" if before else "added"  # no posting of it held before: new
        what = f"voucher {voucher_id} {outcome}: {merged['total']} postings"
    await conn.execute(Q["webhook_freshness_record"], org_id, what)
    return Applied(outcome, what)
