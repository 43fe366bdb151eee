"""The UI's Postgres source reads the general ledger as the fake does: a year's trial balance with
the years held, an account's months and postings, one voucher."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest
from ledger_seed import seed_books

from shared.config import Settings
from tui.pg_source import PgSource


@pytest.fixture
async def source(database_url: str, redis_url: str) -> AsyncIterator[PgSource]:
    environ = {
        **os.environ,
        "LEDGERSYNC_DATABASE_URL": database_url,
        "LEDGERSYNC_REDIS_URL": redis_url,
    }
    found = PgSource(Settings.from_env(environ), read_only=True)
    yield found
    await found.close()


async def test_the_trial_balance_the_months_the_postings_and_a_voucher(
    pg: asyncpg.Connection, source: PgSource
) -> None:
    org_id = await seed_books(pg)
    newest = await source.trial_balance(org_id, None)
    assert newest is not None
    assert newest.years == (2025, 2024, 2023)
    assert newest.report is not None
    assert (newest.report.year, newest.report.computed) == (2025, False)
    found = await source.trial_balance(org_id, 2023)
    assert found is not None
    assert found.report is not None
    assert [x.account for x in found.report.differing] == ["1920"]
    months = await source.account_months(org_id, "1500", 2024)
    assert [(m.month, m.count) for m in months] == [(dt.date(2024, 3, 1), 2)]
    postings = await source.account_postings(org_id, "1500", dt.date(2024, 3, 1))
    assert [p.amount for p in postings] == [Decimal("1250.00"), Decimal("-1250.00")]
    voucher = await source.voucher(org_id, 501)
    assert voucher is not None
    assert [p.account for p in voucher.postings] == ["1500", "3000"]
    assert await source.trial_balance(org_id + 1, None) is None
