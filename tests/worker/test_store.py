"""Chunk writes on a real Postgres: exactly the source's postings per range, once, atomically."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest

from shared.db.queries import Q
from worker.sync.plan import AccountRange, DateRange, Scope
from worker.sync.store import BrokenPage, LeasedChunk, LeaseLost, insert_chunk, write_chunk

MARCH = DateRange(date(2024, 3, 1), date(2024, 4, 1))


def posting(pid: int, day: int, amount: str, account: int = 1920) -> dict[str, Any]:
    return {
        "id": pid,
        "date": f"2024-03-{day:02d}",
        "amount": amount,
        "amountCurrency": amount,
        "description": "Kjøp av æøå",
        "row": 1,
        "currency": {"code": "NOK"},
        "account": {"id": 9000 + account, "number": account, "name": "Bankinnskudd"},
        "voucher": {"id": 70 + pid, "number": 5, "year": 2024},
    }


def page(*postings: dict[str, Any]) -> bytes:
    # amounts as bare JSON numbers, the way the API sends them
    body = {"fullResultSize": len(postings), "from": 0, "count": len(postings), "values": postings}
    raw = orjson.dumps(body)
    for p in postings:
        raw = raw.replace(f'"{p["amount"]}"'.encode(), p["amount"].encode())
    return raw


@pytest.fixture
async def org_id(pg: asyncpg.Connection) -> int:
    return int(await pg.fetchval(Q["org_insert"], "Fjord AS", "api", "tripletex", "syncing"))


async def claim(
    pg: asyncpg.Connection,
    org_id: int,
    span: DateRange = MARCH,
    accounts: AccountRange | None = None,
) -> tuple[int, uuid.UUID]:
    chunk_id = await insert_chunk(pg, org_id, 2024, Scope(span, accounts or AccountRange()))
    owner = uuid.uuid4()
    assert await pg.fetchrow(Q["chunk_claim"], chunk_id, owner, 300.0, None, None) is not None
    return chunk_id, owner


async def rows(pg: asyncpg.Connection, org_id: int) -> dict[int, tuple[Any, ...]]:
    found = await pg.fetch(
        "SELECT posting_id, posting_date, amount, account_number, description FROM postings"
        " WHERE org_id = $1",
        org_id,
    )
    return {r["posting_id"]: tuple(r.values())[1:] for r in found}


async def test_a_chunk_lands_exactly_with_decimal_amounts(
    pg: asyncpg.Connection, org_id: int
) -> None:
    chunk_id, owner = await claim(pg, org_id)
    pages = [page(posting(1, 1, "12345678901.23"), posting(2, 31, "-0.10")), page()]
    result = await write_chunk(pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(MARCH)), pages)
    assert (result.total, result.written, result.deleted) == (2, 2, 0)
    stored = await rows(pg, org_id)
    assert stored[1] == (date(2024, 3, 1), Decimal("12345678901.23"), "1920", "Kjøp av æøå")
    assert stored[2][1] == Decimal("-0.10")
    state = await pg.fetchrow(
        "SELECT state, postings, lease_owner FROM chunks WHERE id=$1", chunk_id
    )
    assert tuple(state.values()) == ("done", 2, None)


async def test_resync_updates_changed_deletes_missing_and_skips_duplicates(
    pg: asyncpg.Connection, org_id: int
) -> None:
    chunk_id, owner = await claim(pg, org_id)
    first = [page(posting(1, 1, "100.00"), posting(2, 2, "-100.00"), posting(3, 3, "5.00"))]
    await write_chunk(pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(MARCH)), first)
    await pg.execute("UPDATE chunks SET state = 'queued' WHERE id = $1", chunk_id)
    owner = uuid.uuid4()
    await pg.fetchrow(Q["chunk_claim"], chunk_id, owner, 300.0, None, None)
    # posting 1 changed, 3 deleted at the source, 2 unchanged but served twice across pages
    again = [
        page(posting(1, 1, "150.00"), posting(2, 2, "-100.00")),
        page(posting(2, 2, "-100.00")),
    ]
    result = await write_chunk(pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(MARCH)), again)
    assert (result.total, result.written, result.deleted) == (2, 1, 1)
    stored = await rows(pg, org_id)
    assert sorted(stored) == [1, 2]
    assert stored[1][1] == Decimal("150.00")


async def test_other_ranges_are_untouched(pg: asyncpg.Connection, org_id: int) -> None:
    april = DateRange(date(2024, 4, 1), date(2024, 5, 1))
    april_posting = posting(9, 1, "7.00") | {"date": "2024-04-01"}
    chunk_id, owner = await claim(pg, org_id, april)
    await write_chunk(
        pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(april)), [page(april_posting)]
    )
    chunk_id, owner = await claim(pg, org_id)
    await write_chunk(pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(MARCH)), [])
    assert sorted(await rows(pg, org_id)) == [9]


async def test_a_lost_lease_writes_nothing(pg: asyncpg.Connection, org_id: int) -> None:
    chunk_id, _ = await claim(pg, org_id)
    with pytest.raises(LeaseLost):
        await write_chunk(
            pg,
            LeasedChunk(chunk_id, uuid.uuid4(), org_id, 2024, Scope(MARCH)),
            [page(posting(1, 1, "1.00"))],
        )
    assert await rows(pg, org_id) == {}
    assert await pg.fetchval("SELECT state FROM chunks WHERE id = $1", chunk_id) == "running"


async def test_a_claimed_chunk_cannot_be_claimed_again_until_its_lease_runs_out(
    pg: asyncpg.Connection, org_id: int
) -> None:
    chunk_id, _ = await claim(pg, org_id)
    assert await pg.fetchrow(Q["chunk_claim"], chunk_id, uuid.uuid4(), 300.0, None, None) is None
    await pg.execute("UPDATE chunks SET lease_until = now() - interval '1 s' WHERE id=$1", chunk_id)
    again = await pg.fetchrow(Q["chunk_claim"], chunk_id, uuid.uuid4(), 300.0, None, None)
    assert again is not None
    assert again["deliveries"] == 2


async def test_a_page_cut_short_writes_nothing_and_asks_for_a_refetch(
    pg: asyncpg.Connection, org_id: int
) -> None:
    chunk_id, owner = await claim(pg, org_id)
    whole = page(posting(1, 1, "10.00"), posting(2, 2, "-10.00"))
    cut = whole[: len(whole) - 20] + b"}"  # looks like one object, is not whole JSON
    with pytest.raises(BrokenPage, match="not whole JSON"):
        await write_chunk(
            pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(MARCH)), [whole, cut]
        )
    assert await rows(pg, org_id) == {}
    assert await pg.fetchval("SELECT state FROM chunks WHERE id = $1", chunk_id) == "running"


async def test_an_account_range_holds_exactly_its_accounts_whichever_way_the_api_reads_to(
    pg: asyncpg.Connection, org_id: int
) -> None:
    day = DateRange(date(2024, 3, 31), date(2024, 4, 1))
    chunk_id, owner = await claim(pg, org_id, day, AccountRange(5000, 6000))
    others = [posting(1, 31, "1.00", 4000), posting(2, 31, "2.00", 6000)]
    await write_chunk(pg, LeasedChunk(chunk_id, owner, org_id, 2024, Scope(day)), [page(*others)])
    await pg.execute("UPDATE chunks SET state = 'queued' WHERE id = $1", chunk_id)
    chunk_id, owner = await claim(pg, org_id, day, AccountRange(5000, 6000))
    # an API reading accountNumberTo inclusively sends account 6000 too: it is left out
    inside = [posting(3, 31, "3.00", 5000), posting(4, 31, "4.00", 5999)]
    accounts = LeasedChunk(chunk_id, owner, org_id, 2024, Scope(day, AccountRange(5000, 6000)))
    result = await write_chunk(pg, accounts, [page(*inside, posting(5, 31, "5.00", 6000))])
    assert (result.total, result.deleted) == (2, 0)
    assert sorted(await rows(pg, org_id)) == [1, 2, 3, 4]


async def test_a_chunk_whose_worker_is_gone_is_taken_over_before_its_lease_ends(
    pg: asyncpg.Connection, org_id: int
) -> None:
    chunk_id = await insert_chunk(pg, org_id, 2024, Scope(MARCH))
    assert await pg.fetchrow(Q["chunk_claim"], chunk_id, uuid.uuid4(), 300.0, "w1", None)
    alive = ["w1", "w2"]
    assert await pg.fetchrow(Q["chunk_claim"], chunk_id, uuid.uuid4(), 300.0, "w2", alive) is None
    assert await pg.fetchrow(Q["chunk_claim"], chunk_id, uuid.uuid4(), 300.0, "w2", None) is None
    taken = await pg.fetchrow(Q["chunk_claim"], chunk_id, uuid.uuid4(), 300.0, "w2", ["w2"])
    assert taken is not None
    assert (taken["deliveries"], taken["abandoned"]) == (2, 1)


def with_dimensions(p: dict[str, Any], **changed: Any) -> dict[str, Any]:
    """A posting as the widened fields serve it: its voucher's type and text, its dimensions."""
    return (
        p
        | {
            "voucher": p["voucher"] | {"description": "Faktura", "voucherType": {"id": 3}},
            "amountGross": p["amount"],
            "invoiceNumber": "1001",
            "systemGenerated": False,
            "customer": {"id": 11},
            "supplier": None,
            "employee": None,
            "department": {"id": 21},
            "project": {"id": 31},
            "product": None,
            "vatType": {"id": 3},
            "freeAccountingDimension1": {"id": 41},
            "freeAccountingDimension2": None,
            "freeAccountingDimension3": None,
        }
        | changed
    )


DIMENSIONS = (
    "SELECT voucher_year, voucher_type_id, voucher_description, customer_id, supplier_id,"
    " department_id, project_id, product_id, vat_type_id, free_dimension_1, free_dimension_2,"
    " amount_gross, invoice_number, system_generated FROM postings"
    " WHERE org_id = $1 AND posting_id = 1"
)


async def test_a_dimension_changed_at_the_source_is_written_and_nothing_else(
    pg: asyncpg.Connection, org_id: int
) -> None:
    async def write(*postings: dict[str, Any]) -> tuple[int, int, int]:
        chunk_id, owner = await claim(pg, org_id)
        leased = LeasedChunk(chunk_id, owner, org_id, 2024, Scope(MARCH))
        result = await write_chunk(pg, leased, [page(*postings)])
        await pg.execute("UPDATE chunks SET state = 'queued' WHERE id = $1", chunk_id)
        return result.total, result.written, result.deleted

    assert await write(with_dimensions(posting(1, 1, "80.00"))) == (1, 1, 0)
    stored = tuple((await pg.fetchrow(DIMENSIONS, org_id)).values())
    assert stored == (
        2024,
        3,
        "Faktura",
        11,
        None,
        21,
        31,
        None,
        3,
        41,
        None,
        Decimal("80.00"),
        "1001",
        False,
    )
    assert await write(with_dimensions(posting(1, 1, "80.00"))) == (1, 0, 0), "rewritten"
    moved = with_dimensions(posting(1, 1, "80.00"), project={"id": 32}, customer=None)
    assert await write(moved) == (1, 1, 0), "a changed dimension alone was not written"
    row = await pg.fetchrow(DIMENSIONS, org_id)
    assert (row["project_id"], row["customer_id"]) == (32, None)
    # a posting without the new fields (a token that may not see them) stores none of them
    assert await write(posting(1, 1, "80.00")) == (1, 1, 0)
    assert (await pg.fetchrow(DIMENSIONS, org_id))["project_id"] is None
