"""The README's example queries on the general ledger's tables run against the migrated schema,
and give what the seeded books say."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import asyncpg
from ledger_seed import seed_books

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_queries() -> list[str]:
    """The SQL blocks of the README's section on the general ledger's tables."""
    text = README.read_text("utf-8")
    section = text.split("## The general ledger's tables", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.DOTALL)


async def test_the_readme_groups_a_year_by_account_type_and_by_customer_and_project(
    pg: asyncpg.Connection,
) -> None:
    by_type, by_customer = readme_queries()
    org_id = await seed_books(pg)
    rows = await pg.fetch(by_type, org_id, 2024)
    assert {r["account_type"]: r["net"] for r in rows} == {
        "ASSETS": Decimal("1250.00"),
        "LIABILITIES": Decimal("-400.00"),
        "OPERATING_EXPENSES": Decimal("400.00"),
        "OPERATING_REVENUES": Decimal("-1250.00"),
    }
    rows = await pg.fetch(by_customer, org_id, 2024)
    assert [tuple(r) for r in rows] == [("Kunde AS", "Nybygg", Decimal("1250.00"))]
    assert await pg.fetch(by_type, org_id, 2023) == []
