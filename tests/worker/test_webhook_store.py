"""One voucher applied from a delivery, against a real database: its postings become exactly the
fetched ones, an older version never overwrites a newer one, a deletion removes them, and applying
twice changes nothing more."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import orjson

from shared.db.queries import Q
from worker.webhooks.store import Fetched, apply_voucher

COMPANY = 201
VOUCHER = 9001


def posting(pid: int, day: str, amount: str, account: int, row: int) -> dict[str, Any]:
    """A posting as /ledger/posting returns it (the fields the import asks for)."""
    return {
        "id": pid,
        "version": 1,
        "date": day,
        "description": f"posting {pid}",
        "row": row,
        "amount": amount,
        "amountCurrency": amount,
        "amountGross": amount,
        "currency": {"code": "NOK"},
        "account": {"id": account, "number": account, "name": f"Konto {account}"},
        "voucher": {"id": VOUCHER, "number": "7", "year": int(day[:4]), "description": "Bilag"},
        "customer": None,
    }


def voucher(version: int, day: str, *postings: dict[str, Any]) -> bytes:
    """`GET /ledger/voucher/{id}`'s body (amounts as JSON numbers: read exactly by Postgres)."""
    body = {"value": {"id": VOUCHER, "version": version, "date": day, "postings": list(postings)}}
    return re.sub(rb'"(amount\w*)":"(-?[0-9.]+)"', rb'"\1":\2', orjson.dumps(body))


async def setup(pg: asyncpg.Connection) -> int:
    org_id: int = await pg.fetchval(Q["org_insert"], "Vouchers AS", "api", "tripletex", "synced")
    await pg.execute("UPDATE organizations SET company_id = $2 WHERE id = $1", org_id, COMPANY)
    for year in (2024, 2025):
        await pg.execute(Q["year_start"], org_id, year, None, True)
    return org_id


async def deliver(pg: asyncpg.Connection, org_id: int) -> int:
    delivery_id: int = await pg.fetchval(
        Q["webhook_delivery_insert"], org_id, None, "voucher.update", VOUCHER
    )
    return delivery_id


async def stored(pg: asyncpg.Connection, org_id: int) -> dict[int, tuple[Any, ...]]:
    rows = await pg.fetch(
        "SELECT posting_id, posting_date::text, amount::text, account_number FROM postings"
        " WHERE org_id = $1",
        org_id,
    )
    return {r["posting_id"]: tuple(r)[1:] for r in rows}


async def test_a_voucher_is_replaced_exactly_and_never_by_an_older_version(
    pg: asyncpg.Connection,
) -> None:
    org_id = await setup(pg)
    v2 = voucher(
        2,
        "2025-03-01",
        posting(1, "2025-03-01", "100.10", 1920, 1),
        posting(2, "2025-03-01", "-100.10", 3000, 2),
    )
    first = await deliver(pg, org_id)
    applied = await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, v2), [first])
    assert applied.outcome == "added"
    assert await stored(pg, org_id) == {
        1: ("2025-03-01", "100.10", "1920"),
        2: ("2025-03-01", "-100.10", "3000"),
    }
    # version 3 moves it to 2024, drops posting 2 and adds 3
    v3 = voucher(
        3,
        "2024-12-30",
        posting(1, "2024-12-30", "250.00", 1920, 1),
        posting(3, "2024-12-30", "-250.00", 3100, 2),
    )
    second = await deliver(pg, org_id)
    assert (await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, v3), [second])).outcome == (
        "updated"
    )
    expected = {1: ("2024-12-30", "250.00", "1920"), 3: ("2024-12-30", "-250.00", "3100")}
    assert await stored(pg, org_id) == expected
    changed = await pg.fetch(
        "SELECT year FROM sync_years WHERE org_id = $1 AND changed_at IS NOT NULL ORDER BY year",
        org_id,
    )
    assert [r["year"] for r in changed] == [2024, 2025], "the old year and the new one"
    # an older version fetched before, applied after: skipped
    late = await deliver(pg, org_id)
    assert (await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, v2), [late])).outcome == (
        "stale"
    )
    assert await stored(pg, org_id) == expected
    # the same version again: nothing changes
    xmins = await pg.fetch("SELECT xmin::text FROM postings WHERE org_id = $1 ORDER BY 1", org_id)
    again = await deliver(pg, org_id)
    await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, v3), [again])
    assert await stored(pg, org_id) == expected
    assert (
        await pg.fetch("SELECT xmin::text FROM postings WHERE org_id = $1 ORDER BY 1", org_id)
        == xmins
    ), "rows rewritten"
    outcomes = await pg.fetch("SELECT outcome FROM webhook_deliveries ORDER BY id")
    assert [r["outcome"] for r in outcomes] == ["added", "updated", "stale", "updated"]
    what = await pg.fetchrow("SELECT * FROM freshness WHERE org_id = $1", org_id)
    assert what["last_change_source"] == "webhook"
    assert what["last_change_what"] == f"voucher {VOUCHER} updated: 2 postings"


async def test_a_deleted_voucher_goes_and_stays_gone(pg: asyncpg.Connection) -> None:
    org_id = await setup(pg)
    body = voucher(
        5,
        "2025-01-02",
        posting(11, "2025-01-02", "10", 1920, 1),
        posting(12, "2025-01-02", "-10", 3000, 2),
    )
    await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, body), [await deliver(pg, org_id)])
    other = await pg.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id)
    assert other == 2
    gone = await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, None), [])
    assert gone.outcome == "deleted"
    assert await stored(pg, org_id) == {}
    # a fetch made before the deletion, applied after it: skipped
    late = await apply_voucher(pg, org_id, COMPANY, Fetched(VOUCHER, body), [])
    assert late.outcome == "stale"
    assert await stored(pg, org_id) == {}
    row = await pg.fetchrow(
        "SELECT version, deleted FROM voucher_versions WHERE org_id = $1", org_id
    )
    assert (row["version"], row["deleted"]) == (5, True)
