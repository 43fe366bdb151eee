"""`ledgersync ledger trial-balance` and `ledger postings` on seeded books: the table with its
footer, CSV, JSON, and one sentence with exit 2 for what is wrong on the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from cli_inproc import Invoke
from ledger_seed import seed_books

from shared.db import connect


@pytest.fixture
def books(cli: Invoke, database_url: str) -> int:
    """Bakeri AS's books (tests/support/ledger_seed.py); its id."""

    async def seed() -> int:
        conn = await connect(database_url)
        try:
            return await seed_books(conn)
        finally:
            await conn.close()

    return asyncio.run(seed())


def test_trial_balance_table_of_a_proven_year(cli: Invoke, books: int) -> None:
    done = cli("ledger", "trial-balance", "Bakeri AS", "--year", "2024")
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Bakeri AS (#{books}): trial balance 2024"
    assert lines[1].split() == [
        "ACCOUNT",
        "NAME",
        "TYPE",
        "OPENING",
        "DEBIT",
        "CREDIT",
        "CLOSING",
        "SOURCE",
        "CLOSING",
        "DIFFERENCE",
    ]
    bank = next(line for line in lines if line.startswith("1920"))
    assert "Bankinnskudd" in bank
    assert "ASSETS" in bank
    assert bank.endswith("10 000.00  1 250.00      0.00   11 250.00       11 250.00        0.00")
    assert lines[2].startswith("1500")
    assert lines[-2].startswith("Total")
    assert lines[-2].split("  ")[-1] == "0.00"
    assert " 2 900.00  2 900.00 " in lines[-2]
    assert lines[-1] == "Proven against Tripletex on 2025-03-14 12:00:00 UTC."
    widths = {len(line) for line in lines[1:-1]}
    assert len(widths) == 1, "amounts right-aligned to one edge"


def test_trial_balance_of_a_differing_year_names_the_account_and_exits_1(
    cli: Invoke, books: int
) -> None:
    done = cli("ledger", "trial-balance", f"#{books}", "--year", "2023")
    assert done.code == 1
    assert "1920" in done.stdout
    assert next(x for x in done.stdout.splitlines() if x.startswith("1920")).endswith(" 200.00  *")
    assert done.stdout.splitlines()[-1] == (
        "Not proven against Tripletex (checked 2025-03-14 12:00:00 UTC): 1 account differs "
        "(1920 by 200.00)."
    )


def test_a_year_without_a_trial_balance_says_so_and_exits_1(cli: Invoke, books: int) -> None:
    done = cli("ledger", "trial-balance", "Bakeri AS", "--year", "2025")
    assert done.code == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "Bakeri AS has no trial balance of 2025 yet: it is computed when the year is proven "
        "against Tripletex after its sync."
    )
    shown = json.loads(
        cli("ledger", "trial-balance", "Bakeri AS", "--year", "2025", "--json").stdout
    )
    assert (shown["computed"], shown["proven"], shown["accounts"]) == (False, False, [])


def test_trial_balance_csv(cli: Invoke, books: int) -> None:
    done = cli("ledger", "trial-balance", "Bakeri AS", "--year", "2024", "--csv")
    assert done.code == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == [
        "account",
        "name",
        "type",
        "opening",
        "debit",
        "credit",
        "closing",
        "source_closing",
        "difference",
    ]
    assert rows[2] == [
        "1920",
        "Bankinnskudd",
        "ASSETS",
        "10000.00",
        "1250.00",
        "0.00",
        "11250.00",
        "11250.00",
        "0.00",
    ]
    assert rows[-1] == [
        "7790",
        "Annen kostnad",
        "OPERATING_EXPENSES",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "",
        "0.00",
    ]
    assert len(rows) == 1 + 7


def test_trial_balance_json(cli: Invoke, books: int) -> None:
    done = cli("ledger", "trial-balance", "Bakeri AS", "--year", "2023", "--json")
    assert done.code == 1
    shown = json.loads(done.stdout)
    assert shown["organization"] == {"id": books, "name": "Bakeri AS", "method": "api"}
    assert (shown["year"], shown["computed"], shown["proven"]) == (2023, True, False)
    assert shown["proven_against"] == "Tripletex"
    assert shown["checked_at"].startswith("2025-03-14T12:00:00")
    assert shown["accounts"][0] == {
        "account": "1920",
        "name": "Bankinnskudd",
        "type": "ASSETS",
        "opening": "10000.00",
        "debit": "0.00",
        "credit": "0.00",
        "closing": "10000.00",
        "source_closing": "9800.00",
        "difference": "200.00",
    }
    assert shown["totals"]["difference"] == "200.00"
    assert shown["differing"] == ["1920"]


def test_postings_of_an_account_and_month(cli: Invoke, books: int) -> None:
    done = cli("ledger", "postings", "Bakeri AS", "--account", "1500", "--month", "2024-03")
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Bakeri AS (#{books}): postings of account 1500 Kundefordringer, 2024-03"
    assert lines[1].split() == ["DATE", "VOUCHER", "DESCRIPTION", "AMOUNT", "DIMENSIONS"]
    assert lines[2].split() == [
        "2024-03-05",
        "1",
        "Faktura",
        "1001",
        "1",
        "250.00",
        "Customer:",
        "Kunde",
        "AS",
    ]
    assert "-1 250.00" in lines[3]
    assert lines[-1] == "2 postings: debit 1 250.00, credit 1 250.00, net 0.00."


def test_postings_csv_and_json(cli: Invoke, books: int) -> None:
    done = cli(
        "ledger", "postings", "Bakeri AS", "--account", "3000", "--month", "2024-03", "--csv"
    )
    assert done.code == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == [
        "date",
        "account",
        "voucher_id",
        "voucher_number",
        "description",
        "amount",
        "customer",
        "supplier",
        "employee",
        "department",
        "project",
        "product",
        "vat_type",
        "free_dimension_1",
        "free_dimension_2",
        "free_dimension_3",
    ]
    assert len(rows) == 1
    assert rows[0] | {} == {
        "date": "2024-03-05",
        "account": "3000",
        "voucher_id": "501",
        "voucher_number": "1",
        "description": "Faktura 1001",
        "amount": "-1250.00",
        "customer": "Kunde AS",
        "supplier": "",
        "employee": "",
        "department": "Salg",
        "project": "Nybygg",
        "product": "",
        "vat_type": "",
        "free_dimension_1": "Nord",
        "free_dimension_2": "",
        "free_dimension_3": "",
    }
    shown = json.loads(
        cli("ledger", "postings", "Bakeri AS", "--month", "2024-04", "--json").stdout
    )
    assert (shown["account"], shown["month"]) == (None, "2024-04")
    assert [p["account"] for p in shown["postings"]] == ["4000", "2400"]
    assert shown["postings"][0]["dimensions"] == [
        {"kind": "supplier", "label": "Supplier", "name": "Mel AS"},
        {"kind": "department", "label": "Department", "name": "Salg"},
    ]
    assert shown["totals"] == {"count": 2, "debit": "400.00", "credit": "400.00", "net": "0.00"}


def test_a_month_without_postings_is_empty_not_an_error(cli: Invoke, books: int) -> None:
    done = cli("ledger", "postings", "Bakeri AS", "--account", "7790", "--month", "2024-03")
    assert done.code == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "No postings."


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("trial-balance", "Bakeri AS", "--year", "24"), "--year takes a year such as 2024"),
        (("trial-balance", "Bakeri AS", "--year", "2019"), "holds no year 2019 (it holds: 2023"),
        (("trial-balance", "Nobody AS", "--year", "2024"), "No organization"),
        (("trial-balance", "Bakeri AS", "--year", "2024", "--json", "--csv"), "choose one"),
        (
            ("postings", "Bakeri AS", "--account", "1500", "--month", "2024-13"),
            "--month takes a month as YYYY-MM",
        ),
        (
            ("postings", "Bakeri AS", "--account", "15 00", "--month", "2024-03"),
            "--account takes an account number",
        ),
        (
            ("postings", "Bakeri AS", "--account", "9999", "--month", "2024-03"),
            "Bakeri AS has no account 9999",
        ),
        (("postings", "Bakeri AS"), "Name the account (--account N), the month"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    cli: Invoke, books: int, args: tuple[str, ...], says: str
) -> None:
    done = cli("ledger", *args)
    assert done.code == 2, done
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stdout == ""
