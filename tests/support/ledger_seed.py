"""A small set of books seeded straight into the general ledger's tables (migration 0015), for the
reports, the `ledger` commands, the TUI's Postgres source and the README's queries.

Bakeri AS (API) holds 2023 (not proven: account 1920 differs by 200.00), 2024 (proven) and 2025
(synchronized, no trial balance yet). 2024's postings: a sale in March to Kunde AS (department
Salg, project Nybygg, Region Nord), its payment, and a purchase in April from Mel AS.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

#: when the seeded years were checked
CHECKED_AT = dt.datetime(2025, 3, 14, 12, 0, tzinfo=dt.UTC)

ACCOUNTS = (
    ("1500", "Kundefordringer", "ASSETS", "CUSTOMER"),
    ("1920", "Bankinnskudd", "ASSETS", "GENERAL"),
    ("2050", "Annen egenkapital", "EQUITY", "GENERAL"),
    ("2400", "Leverandørgjeld", "LIABILITIES", "VENDOR"),
    ("3000", "Salgsinntekt", "OPERATING_REVENUES", "GENERAL"),
    ("4000", "Varekjøp", "OPERATING_EXPENSES", "GENERAL"),
    ("7790", "Annen kostnad", "OPERATING_EXPENSES", "GENERAL"),  # no movements
)

# (posting_id, date, account, amount, voucher_id, voucher_number, row, description,
#  customer, supplier, department, project, free dimension 1)
POSTINGS = (
    (
        1,
        dt.date(2024, 3, 5),
        "1500",
        "1250.00",
        501,
        "1",
        1,
        "Faktura 1001",
        10,
        None,
        None,
        None,
        None,
    ),
    (2, dt.date(2024, 3, 5), "3000", "-1250.00", 501, "1", 2, "Faktura 1001", 10, None, 1, 7, 71),
    (
        3,
        dt.date(2024, 3, 20),
        "1920",
        "1250.00",
        502,
        "2",
        1,
        "Innbetaling 1001",
        None,
        None,
        None,
        None,
        None,
    ),
    (
        4,
        dt.date(2024, 3, 20),
        "1500",
        "-1250.00",
        502,
        "2",
        2,
        "Innbetaling 1001",
        10,
        None,
        None,
        None,
        None,
    ),
    (5, dt.date(2024, 4, 2), "4000", "400.00", 503, "3", 1, "Mel", None, 20, 1, None, None),
    (6, dt.date(2024, 4, 2), "2400", "-400.00", 503, "3", 2, "Mel", None, 20, None, None, None),
)

# (year, account, opening, debit, credit, closing, source_closing)
TRIAL_BALANCES = (
    (2023, "1920", "10000.00", "0.00", "0.00", "10000.00", "9800.00"),
    (2023, "2050", "-10000.00", "0.00", "0.00", "-10000.00", "-10000.00"),
    (2024, "1500", "0.00", "1250.00", "1250.00", "0.00", "0.00"),
    (2024, "1920", "10000.00", "1250.00", "0.00", "11250.00", "11250.00"),
    (2024, "2050", "-10000.00", "0.00", "0.00", "-10000.00", "-10000.00"),
    (2024, "2400", "0.00", "0.00", "400.00", "-400.00", "-400.00"),
    (2024, "3000", "0.00", "0.00", "1250.00", "-1250.00", "-1250.00"),
    (2024, "4000", "0.00", "400.00", "0.00", "400.00", "400.00"),
    (2024, "7790", "0.00", "0.00", "0.00", "0.00", None),
)


async def seed_books(conn: asyncpg.Connection, name: str = "Bakeri AS") -> int:
    """The books above for a new API organization; its id."""
    org_id: int = await conn.fetchval(
        "INSERT INTO organizations (name, method, provider, state) "
        "VALUES ($1, 'api', 'tripletex', 'synced') RETURNING id",
        name,
    )
    await conn.executemany(
        "INSERT INTO ledger_accounts (org_id, number, name, account_type, ledger_type) "
        "VALUES ($1, $2, $3, $4, $5)",
        [(org_id, *account) for account in ACCOUNTS],
    )
    await conn.execute(
        "INSERT INTO customers (org_id, id, number, name) VALUES ($1, 10, '10001', 'Kunde AS');"
        "INSERT INTO suppliers (org_id, id, number, name) VALUES ($1, 20, '20001', 'Mel AS');"
        "INSERT INTO departments (org_id, id, number, name) VALUES ($1, 1, '1', 'Salg');"
        "INSERT INTO projects (org_id, id, number, name) VALUES ($1, 7, 'P7', 'Nybygg');"
        "INSERT INTO dimension_names (org_id, dimension_index, name) VALUES ($1, 1, 'Region');"
        "INSERT INTO dimension_values (org_id, id, dimension_index, number, name) "
        "VALUES ($1, 71, 1, 'N', 'Nord');"
        "INSERT INTO voucher_types (org_id, id, name) VALUES ($1, 5, 'Utgående faktura')".replace(
            "$1", str(org_id)
        )
    )
    await conn.executemany(
        "INSERT INTO postings (org_id, posting_id, posting_date, account_number, amount, "
        "voucher_id, voucher_number, row_number, description, customer_id, supplier_id, "
        "department_id, project_id, free_dimension_1, voucher_year, voucher_type_id, "
        "account_name) "
        "VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, $8, $9, $10, $11, $12, $13, $14, 2024, "
        "CASE WHEN $6::bigint = 501 THEN 5 END, $15)",
        [(org_id, *p, dict((a[0], a[1]) for a in ACCOUNTS)[p[2]]) for p in POSTINGS],
    )
    await conn.executemany(
        "INSERT INTO sync_years (org_id, year, state, ledger_proven, ledger_checked_at) "
        "VALUES ($1, $2, 'synced', $3, $4)",
        [
            (org_id, 2023, False, CHECKED_AT),
            (org_id, 2024, True, CHECKED_AT),
            (org_id, 2025, None, None),
        ],
    )
    await conn.executemany(
        "INSERT INTO trial_balances (org_id, year, account_number, opening, debit, credit, "
        "closing, source_closing, difference) VALUES ($1, $2, $3, $4::numeric, $5::numeric, "
        "$6::numeric, $7::numeric, $8::numeric, $7::numeric - coalesce($8::numeric, 0))",
        [(org_id, *row) for row in TRIAL_BALANCES],
    )
    return org_id
