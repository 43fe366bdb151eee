"""Choosing another company: refused without --replace; with it, the old company's data goes in the
same transaction, and no chunk of the old company can land afterwards."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import orjson
import pytest

from shared import orgs
from shared.crypto import TokenCipher
from shared.db import connect
from shared.db.queries import Q
from shared.models import Method, Provider
from worker.sync.plan import Scope, year_range
from worker.sync.store import LeasedChunk, LeaseLost, insert_chunk, write_chunk

A, B = 101, 202


async def _api_org(pg: asyncpg.Connection, name: str = "Bakeri AS") -> int:
    new = orgs.NewOrg(name, Method.API, Provider.TRIPLETEX, token="eyJ0b2tlbiI6Imdvb2QifQ")
    org_id = await orgs.register(pg, new, cipher=TokenCipher("a-test-secret-key-of-some-length"))
    for company, title in ((A, "Alfa AS"), (B, "Beta AS")):
        await pg.execute(Q["company_upsert"], org_id, company, title, None, None, False)
    return org_id


async def _leased_chunk(pg: asyncpg.Connection, org_id: int, year: int) -> tuple[int, uuid.UUID]:
    chunk_id = await insert_chunk(pg, org_id, year, Scope(year_range(year)))
    owner = uuid.uuid4()
    await pg.execute(
        "UPDATE chunks SET state = 'running', lease_owner = $2, lease_until = now() + "
        "interval '1 hour' WHERE id = $1",
        chunk_id,
        owner,
    )
    return chunk_id, owner


def _page(year: int, ids: range) -> bytes:
    values = [
        {"id": i, "date": f"{year}-03-01", "amount": "10.00", "account": {"number": 1920}}
        for i in ids
    ]
    return orjson.dumps({"values": values})


async def _write(pg: asyncpg.Connection, org_id: int, year: int, ids: range) -> None:
    chunk_id, owner = await _leased_chunk(pg, org_id, year)
    chunk = LeasedChunk(chunk_id, owner, org_id, year, Scope(year_range(year)))
    await write_chunk(pg, chunk, [_page(year, ids)])


async def _counts(pg: asyncpg.Connection, org_id: int) -> tuple[int, ...]:
    return tuple(
        [
            await pg.fetchval(f"SELECT count(*) FROM {t} WHERE org_id = $1", org_id)  # noqa: S608
            for t in ("postings", "chunks", "sync_years", "check_runs")
        ]
    )


async def _with_data_of_a(pg: asyncpg.Connection) -> int:
    org_id = await _api_org(pg)
    await orgs.select_company(pg, org_id, A)
    await _write(pg, org_id, 2019, range(1, 6))
    await pg.execute(
        "INSERT INTO sync_years (org_id, year, state) VALUES ($1, 2019, 'synced')", org_id
    )
    await pg.execute(
        "INSERT INTO check_runs (org_id, triggered_by, results) VALUES ($1, 'command', '[]')",
        org_id,
    )
    return org_id


async def test_another_company_is_refused_without_replace(pg: asyncpg.Connection) -> None:
    org_id = await _with_data_of_a(pg)
    before = await _counts(pg, org_id)
    with pytest.raises(orgs.CompanyChangeRefused) as refused:
        await orgs.select_company(pg, org_id, B)
    sentence = str(refused.value)
    for part in ("Alfa AS (101)", "Beta AS (202)", "--replace"):
        assert part in sentence
    assert await _counts(pg, org_id) == before == (5, 1, 1, 1)
    assert await pg.fetchval("SELECT company_id FROM organizations WHERE id = $1", org_id) == A


async def test_replace_removes_the_old_companys_data_and_audits_both(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _with_data_of_a(pg)
    removed = await orgs.select_company(pg, org_id, B, orgs.Confirmed(replace=True))
    assert removed == {"postings": 5, "chunks": 1, "years": 1, "check_runs": 1}
    assert await _counts(pg, org_id) == (0, 0, 0, 0)
    detail = await pg.fetchval(
        "SELECT detail FROM audit_log WHERE action = 'org.select_company' ORDER BY id DESC LIMIT 1"
    )
    assert detail["company_id"] == B
    assert detail["previous_company_id"] == A
    assert detail["previous_company_name"] == "Alfa AS"


async def test_the_same_company_again_needs_no_replace(pg: asyncpg.Connection) -> None:
    org_id = await _with_data_of_a(pg)
    assert await orgs.select_company(pg, org_id, A) == {}
    assert (await _counts(pg, org_id))[0] == 5


async def test_a_chunk_of_the_old_company_never_lands(pg: asyncpg.Connection) -> None:
    org_id = await _api_org(pg)
    await orgs.select_company(pg, org_id, A)
    chunk_id, owner = await _leased_chunk(pg, org_id, 2020)
    # the chunk survives (as if planned a moment before); its organization changed company
    await pg.execute("UPDATE organizations SET company_id = $2 WHERE id = $1", org_id, B)
    chunk = LeasedChunk(chunk_id, owner, org_id, 2020, Scope(year_range(2020)))
    with pytest.raises(LeaseLost):
        await write_chunk(pg, chunk, [_page(2020, range(4))])
    assert await pg.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id) == 0


async def test_a_write_in_flight_is_removed_by_the_change_that_waited_for_it(
    pg: asyncpg.Connection, database_url: str
) -> None:
    org_id = await _api_org(pg)
    await orgs.select_company(pg, org_id, A)
    chunk_id, _ = await _leased_chunk(pg, org_id, 2021)
    writer = await connect(database_url)
    changer = await connect(database_url)
    try:
        tx = writer.transaction()
        await tx.start()
        assert await writer.fetchval(Q["chunk_company_fence"], chunk_id) == chunk_id
        await writer.execute(
            "INSERT INTO postings (org_id, posting_id, posting_date, amount, account_number) "
            "VALUES ($1, 1, '2021-02-01', 1, '1920')",
            org_id,
        )
        change = asyncio.create_task(
            orgs.select_company(changer, org_id, B, orgs.Confirmed(replace=True))
        )
        await asyncio.sleep(0.5)
        assert not change.done(), "the change waits for the write in flight"
        await tx.commit()
        removed = await asyncio.wait_for(change, 10)
    finally:
        await writer.close()
        await changer.close()
    assert removed["postings"] == 1
    assert await pg.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id) == 0


async def test_a_chunk_planned_after_the_change_belongs_to_the_new_company(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _with_data_of_a(pg)
    await orgs.select_company(pg, org_id, B, orgs.Confirmed(replace=True))
    chunk_id, _ = await _leased_chunk(pg, org_id, 2022)
    assert await pg.fetchval("SELECT company_id FROM chunks WHERE id = $1", chunk_id) == B


async def test_a_company_another_organization_syncs_needs_allow_duplicate(
    pg: asyncpg.Connection,
) -> None:
    first = await _api_org(pg, "Bakeri AS")
    await orgs.select_company(pg, first, A)
    second = await _api_org(pg, "Bakeri AS (kopi)")
    with pytest.raises(orgs.CompanyChangeRefused) as refused:
        await orgs.select_company(pg, second, A)
    assert "--allow-duplicate" in str(refused.value)
    assert f"Bakeri AS (#{first})" in str(refused.value)
    assert await pg.fetchval("SELECT company_id FROM organizations WHERE id = $1", second) is None
    await orgs.select_company(pg, second, A, orgs.Confirmed(allow_duplicate=True))
    assert await pg.fetchval("SELECT company_id FROM organizations WHERE id = $1", second) == A


async def test_the_choice_to_confirm_names_both_companies_the_postings_and_duplicates(
    pg: asyncpg.Connection,
) -> None:
    org_id = await _with_data_of_a(pg)
    other = await _api_org(pg, "Regnskap AS")
    await orgs.select_company(pg, other, B)

    choice = await orgs.company_choice(pg, org_id, B)

    assert choice == orgs.CompanyChoice(
        org=f"Bakeri AS (#{org_id})",
        chosen="Beta AS (202)",
        replaced="Alfa AS (101)",
        postings=5,
        duplicates=(f"Regnskap AS (#{other})",),
        duplicate_ids=(other,),
    )
    assert choice.needs_confirming
    assert not (await orgs.company_choice(pg, org_id, A)).needs_confirming, "the same company"
