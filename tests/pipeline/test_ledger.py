"""The books beside the postings (issue 20, API side), end to end with real workers: every
register, every posting's dimensions and every year's balances equal the sandbox's truth, every
year proves, and a posting changed at the source disagrees until the next sync reads it."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from pipeline_harness import (
    Pipeline,
    control,
    fetch,
    poll,
    wait_registers,
    wait_year_resynced,
)

from sandbox.chart import chart_for
from sandbox.handlers.registers import VAT_BY_ID
from sandbox.registers import (
    Registers,
    department_of,
    dimension_of,
    employee_of,
    is_inactive,
    party_number,
    party_organization_number,
    product_of,
    project_of,
    registers_for,
)
from sandbox.schemas import TYPES
from sandbox.templates import Role
from shared.db import connect
from shared.db.queries import Q
from shared.ledger.proof import prove_year
from worker.ledger.balances import store_year
from worker.tripletex.client import TripletexClient
from worker.tripletex.registers import REGISTERS

CENT = Decimal("0.01")
GOOD_COMPANY = 201
#: the companies the accountant's token reaches that a test imports here (202, the big client,
#: is the same code over more postings)
CLIENTS = (204, 205)


def expected_registers(company_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """Each master table's rows (key first, as the table's columns) from the sandbox's truth."""
    reg: Registers = registers_for(company_id)

    def party(role: Role) -> set[tuple[Any, ...]]:
        listed = reg.customers if role is Role.CUSTOMER else reg.suppliers
        return {
            (
                p.id,
                str(party_number(p, role)) if party_number(p, role) else None,
                p.name,
                party_organization_number(p) or None,
                is_inactive(p),
            )
            for p in listed
        }

    return {
        "ledger_accounts": {
            (
                str(a.number),
                a.id,
                a.name,
                a.type.value,
                a.ledger_type.value,
                a.vat_type.id,
                str(a.number),
                a.inactive,
            )
            for a in chart_for(company_id).values()
        },
        "voucher_types": {(t.id, t.name) for t in TYPES.values()},
        "vat_types": {(v.id, v.number, v.name, Decimal(v.percentage)) for v in VAT_BY_ID},
        "customers": party(Role.CUSTOMER),
        "suppliers": party(Role.SUPPLIER),
        "employees": {(e["id"], f"{e['firstName']} {e['lastName']}") for e in reg.employees},
        "departments": {(d.id, d.number, d.name, d.inactive) for d in reg.departments},
        "projects": {(p.id, p.number, p.name, p.closed) for p in reg.projects},
        "products": {(p.id, p.number, p.name, p.inactive) for p in reg.products},
        "dimension_names": {(n.dimension, n.name, True) for n in reg.dimension_names},
        "dimension_values": {
            (v.id, v.dimension, v.number, v.name, True) for v in reg.dimension_values
        },
    }


async def stored_registers(pipeline: Pipeline, org_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """Each master table's rows the source lists, as `expected_registers` shapes them."""
    found = {}
    for register in REGISTERS:
        # identifiers from the module's own constants, never from input
        sql = f"SELECT {', '.join(register.columns)} FROM {register.table}"  # noqa: S608
        rows = await fetch(pipeline.database_url, sql + " WHERE org_id = $1 AND at_source", org_id)
        found[register.table] = {tuple(r) for r in rows}
    return found


def ref_id(value: Any) -> int | None:
    return None if value is None else int(value["id"] if isinstance(value, dict) else value.id)


def expected_dimensions(
    pipeline: Pipeline, company_id: int, year: int
) -> dict[int, tuple[Any, ...]]:
    """Per posting id of a year, its voucher and dimension columns from the sandbox's truth."""
    ledger = pipeline.server.state.ledgers[company_id]
    first, stop = dt.date(year, 1, 1).toordinal(), dt.date(year + 1, 1, 1).toordinal()
    return {
        p.id: (
            p.voucher.year,
            p.voucher.type_id,
            p.voucher.description,
            ref_id(p.customer),
            ref_id(p.supplier),
            ref_id(employee_of(p)),
            ref_id(department_of(p)),
            ref_id(project_of(p)),
            ref_id(product_of(p)),
            p.vat_type.id,
            ref_id(dimension_of(p, 1)),
            ref_id(dimension_of(p, 2)),
            ref_id(dimension_of(p, 3)),
            Decimal(p.amount_gross) * CENT,
            p.invoice_number,
            p.system_generated,
        )
        for p in ledger.postings(first, stop, 0, 10**9)
    }


DIMENSION_COLUMNS = (
    "voucher_year, voucher_type_id, voucher_description, customer_id, supplier_id, employee_id,"
    " department_id, project_id, product_id, vat_type_id, free_dimension_1, free_dimension_2,"
    " free_dimension_3, amount_gross, invoice_number, system_generated"
)


async def stored_dimensions(
    pipeline: Pipeline, org_id: int, year: int
) -> dict[int, tuple[Any, ...]]:
    rows = await fetch(
        pipeline.database_url,
        f"SELECT posting_id, {DIMENSION_COLUMNS} FROM postings"  # noqa: S608 - a constant
        " WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3",
        org_id,
        dt.date(year, 1, 1),
        dt.date(year + 1, 1, 1),
    )
    return {r["posting_id"]: tuple(r)[1:] for r in rows}


def expected_balances(
    pipeline: Pipeline, company_id: int, year: int
) -> dict[str, tuple[Decimal, ...]]:
    """The sandbox's balance sheet of a year: opening, movement, closing per account listed."""
    balances = pipeline.server.state.balances[company_id]
    first, stop = dt.date(year, 1, 1).toordinal(), dt.date(year + 1, 1, 1).toordinal()

    def per_account(sums: dict[tuple[int, int], list[int]]) -> dict[int, int]:
        found: dict[int, int] = defaultdict(int)
        for (number, _), (amount, _) in sums.items():
            found[number] += amount
        return found

    moved, opening = (
        per_account(balances.between(first, stop)),
        per_account(balances.opening(first)),
    )
    return {
        str(n): (
            Decimal(opening.get(n, 0)) * CENT,
            Decimal(moved.get(n, 0)) * CENT,
            Decimal(opening.get(n, 0) + moved.get(n, 0)) * CENT,
        )
        for n in chart_for(company_id)
        if n in moved or opening.get(n)
    }


async def stored_balances(
    pipeline: Pipeline, org_id: int, year: int
) -> dict[str, tuple[Decimal, ...]]:
    rows = await fetch(
        pipeline.database_url,
        "SELECT account_number, opening, movement, closing FROM source_balances"
        " WHERE org_id = $1 AND year = $2",
        org_id,
        year,
    )
    return {r["account_number"]: (r["opening"], r["movement"], r["closing"]) for r in rows}


async def years_of(pipeline: Pipeline, org_id: int) -> dict[int, Any]:
    rows = await fetch(
        pipeline.database_url,
        "SELECT year, ledger_proven FROM sync_years WHERE org_id = $1 ORDER BY year",
        org_id,
    )
    return {r["year"]: r["ledger_proven"] for r in rows}


async def assert_books_match(pipeline: Pipeline, org_id: int, company_id: int) -> None:
    await wait_registers(pipeline, org_id)
    stored = await stored_registers(pipeline, org_id)
    for table, rows in expected_registers(company_id).items():
        assert stored[table] == rows, table
    years = await years_of(pipeline, org_id)
    assert years
    for year in years:
        assert await stored_dimensions(pipeline, org_id, year) == expected_dimensions(
            pipeline, company_id, year
        ), year
        assert await stored_balances(pipeline, org_id, year) == expected_balances(
            pipeline, company_id, year
        ), year
    assert all(years.values()), f"years not proven: {years}"


async def synced(pipeline: Pipeline, label: str, company_id: int) -> int:
    org_id = await pipeline.add_org(f"Books {company_id}", label)
    if label != "good":
        await pipeline.wait_state(org_id, "choose_company")
        code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(company_id))
        assert code == 0, err
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    return org_id


async def test_the_good_company_s_books_equal_the_sandbox_s(pipeline: Pipeline) -> None:
    await pipeline.start_worker()
    org_id = await synced(pipeline, "good", GOOD_COMPANY)
    await assert_books_match(pipeline, org_id, GOOD_COMPANY)
    code, out, _ = await pipeline.ledgersync("org", "show", str(org_id), "--json")
    assert code == 0
    shown = {r["register"]: r for r in json.loads(out)["registers"]}
    assert set(shown) == {r.table for r in REGISTERS}
    assert all(r["listed"] and r["refused"] is None for r in shown.values())
    # the master data is refreshed once a sync, and a second sync changes none of it
    before = await stored_registers(pipeline, org_id)
    assert (await pipeline.ledgersync("org", "sync", str(org_id)))[0] == 0
    await pipeline.wait_state(org_id, "synced", "needs_attention")
    await wait_registers(pipeline, org_id)
    assert await stored_registers(pipeline, org_id) == before


@pytest.mark.parametrize("company_id", CLIENTS)
async def test_an_accountant_client_s_books_equal_the_sandbox_s(
    pipeline: Pipeline, company_id: int
) -> None:
    await pipeline.start_worker()
    org_id = await synced(pipeline, "accountant", company_id)
    await assert_books_match(pipeline, org_id, company_id)


async def test_every_dimension_a_posting_names_is_in_its_register(pipeline: Pipeline) -> None:
    """The *_id columns are logical keys (no foreign keys: see worker/ledger): after a sync each
    non-null one resolves to a row of its master table."""
    await pipeline.start_worker()
    org_id = await synced(pipeline, "good", GOOD_COMPANY)
    await wait_registers(pipeline, org_id)
    for column, table in (
        ("customer_id", "customers"),
        ("supplier_id", "suppliers"),
        ("employee_id", "employees"),
        ("department_id", "departments"),
        ("project_id", "projects"),
        ("product_id", "products"),
        ("vat_type_id", "vat_types"),
        ("voucher_type_id", "voucher_types"),
        ("free_dimension_1", "dimension_values"),
        ("free_dimension_2", "dimension_values"),
        ("free_dimension_3", "dimension_values"),
    ):
        rows = await fetch(
            pipeline.database_url,
            f"SELECT count(*) FILTER (WHERE p.{column} IS NOT NULL) AS named,"  # noqa: S608
            f" count(*) FILTER (WHERE p.{column} IS NOT NULL AND m.id IS NULL) AS dangling"
            f" FROM postings AS p LEFT JOIN {table} AS m"
            f" ON m.org_id = p.org_id AND m.id = p.{column} WHERE p.org_id = $1",
            org_id,
        )
        assert rows[0]["dangling"] == 0, column
        if column != "free_dimension_3":
            assert rows[0]["named"] > 0, column
    rows = await fetch(
        pipeline.database_url,
        "SELECT count(*) AS n FROM postings AS p LEFT JOIN ledger_accounts AS a"
        " ON a.org_id = p.org_id AND a.number = p.account_number"
        " WHERE p.org_id = $1 AND a.number IS NULL",
        org_id,
    )
    assert rows[0]["n"] == 0


async def refetch_balances(pipeline: Pipeline, org_id: int, year: int) -> bool:
    """Fetch the year's balance sheet again (as the next reconcile does) and prove the year."""
    async with aiohttp.ClientSession() as http:
        client = TripletexClient(http, pipeline.server.base_url)
        expires = dt.date.today() + dt.timedelta(days=2)
        session = await client.create_session(
            pipeline.truth["consumer_token"], pipeline.token("good"), expires
        )
        span = (dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        sheet = await client.balance_sheet(session.auth(), *span)
    conn = await connect(pipeline.database_url)
    try:
        async with conn.transaction():
            await conn.execute(Q["trial_balances_lock"], org_id)
            await store_year(conn, org_id, year, sheet)
            return await prove_year(conn, org_id, year)
    finally:
        await conn.close()


async def test_a_posting_changed_at_the_source_disagrees_until_the_next_sync(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker()
    org_id = await synced(pipeline, "good", GOOD_COMPANY)
    years = await years_of(pipeline, org_id)
    assert all(years.values()), years
    year = 2023
    posting = (
        await fetch(
            pipeline.database_url,
            "SELECT posting_id, account_number, amount FROM postings WHERE org_id = $1"
            " AND posting_date >= $2 AND posting_date < $3 AND amount > 0 ORDER BY posting_id"
            " LIMIT 1",
            org_id,
            dt.date(year, 1, 1),
            dt.date(year + 1, 1, 1),
        )
    )[0]
    await control(
        pipeline,
        "PATCH",
        f"/companies/{GOOD_COMPANY}/postings/{posting['posting_id']}",
        {"amount": str(posting["amount"] + 100)},
    )

    assert not await refetch_balances(pipeline, org_id, year)
    differing = await fetch(
        pipeline.database_url,
        "SELECT year, account_number, difference FROM trial_balances"
        " WHERE org_id = $1 AND difference <> 0 ORDER BY year",
        org_id,
    )
    assert {(r["year"], r["account_number"]) for r in differing if r["year"] == year} == {
        (year, posting["account_number"])
    }
    assert differing[0]["difference"] == Decimal(-100)
    assert (await years_of(pipeline, org_id))[year] is False

    # the next sync imports the change, and fetches every year's balances again (a change in
    # one year moves the later years' opening balances too)
    since = (await fetch(pipeline.database_url, "SELECT now() AS t"))[0]["t"]
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id))
    assert code == 0, err
    await wait_year_resynced(pipeline, org_id, year, since)

    async def proven_again() -> bool:
        rows = await fetch(
            pipeline.database_url,
            "SELECT bool_and(ledger_proven AND ledger_checked_at > $2) AS ok FROM sync_years"
            " WHERE org_id = $1",
            org_id,
            since,
        )
        return bool(rows[0]["ok"])

    await poll("every year proven again after the next sync", proven_again)
    assert not await fetch(
        pipeline.database_url,
        "SELECT 1 FROM trial_balances WHERE org_id = $1 AND difference <> 0",
        org_id,
    )
