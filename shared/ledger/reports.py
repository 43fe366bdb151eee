"""The general ledger read back for people: a year's trial balance as the proof stored it, the
postings of an account and month with their dimensions by name, and one voucher.

Nothing here computes a trial balance: a year without rows in `trial_balances` is reported as not
computed yet (`shared/ledger/proof.py` writes them when it proves the year).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from shared.db.queries import Q
from shared.errors import BadInput

ZERO = Decimal("0.00")
#: the dimensions of a posting, by the column that names them, and their label
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("customer", "Customer"),
    ("supplier", "Supplier"),
    ("employee", "Employee"),
    ("department", "Department"),
    ("project", "Project"),
    ("product", "Product"),
    ("vat_type", "VAT"),
    ("free_dimension_1", "Dimension 1"),
    ("free_dimension_2", "Dimension 2"),
    ("free_dimension_3", "Dimension 3"),
)
#: what an account number may look like on the command line: letters, digits, . - _
ACCOUNT = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
#: the years a report may ask for
FIRST_YEAR, LAST_YEAR = 1900, 2199


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    """One account of a stored trial balance; `source_closing` None: the source has no row."""

    account: str
    name: str | None
    account_type: str | None
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal
    source_closing: Decimal | None
    difference: Decimal

    @property
    def agrees(self) -> bool:
        """Whether our closing equals the source's to the øre."""
        return self.difference == 0


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of a trial balance's columns."""

    opening: Decimal = ZERO
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    closing: Decimal = ZERO
    difference: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class TrialBalanceReport:
    """A year's trial balance of an organization as stored, with whether it is proven and when.

    `lines` is empty when the year has no trial balance yet (`computed` is then False).
    """

    org_id: int
    org_name: str
    method: str
    year: int
    proven: bool
    checked_at: dt.datetime | None
    lines: tuple[TrialBalanceLine, ...]

    @property
    def computed(self) -> bool:
        """Whether the year has a trial balance at all."""
        return bool(self.lines)

    @property
    def source(self) -> str:
        """What the year is proven against, for a sentence."""
        return "the SAF-T file" if self.method == "saft" else "Tripletex"

    @property
    def differing(self) -> tuple[TrialBalanceLine, ...]:
        """The accounts whose closing differs from the source's."""
        return tuple(line for line in self.lines if not line.agrees)

    @property
    def totals(self) -> Totals:
        """Each column summed."""
        return Totals(
            sum((x.opening for x in self.lines), ZERO),
            sum((x.debit for x in self.lines), ZERO),
            sum((x.credit for x in self.lines), ZERO),
            sum((x.closing for x in self.lines), ZERO),
            sum((x.difference for x in self.lines), ZERO),
        )


@dataclass(frozen=True, slots=True)
class Dimension:
    """A dimension a posting carries: `kind` as in DIMENSIONS, its label, the value's name."""

    kind: str
    label: str
    name: str


@dataclass(frozen=True, slots=True)
class PostingLine:
    """One posting as a report shows it."""

    posting_id: int
    date: dt.date
    account: str
    account_name: str | None
    voucher_id: int | None
    voucher_number: str | None
    description: str | None
    amount: Decimal
    dimensions: tuple[Dimension, ...] = ()


@dataclass(frozen=True, slots=True)
class MonthTotal:
    """An account's postings in one month: how many, debit and credit."""

    month: dt.date
    count: int
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class Voucher:
    """One voucher with its lines."""

    voucher_id: int
    number: str | None
    year: int | None
    voucher_type: str | None
    description: str | None
    postings: tuple[PostingLine, ...]


def debit_credit(lines: tuple[PostingLine, ...]) -> tuple[Decimal, Decimal]:
    """Sum of the positive amounts, and minus the sum of the negative ones."""
    debit = sum((p.amount for p in lines if p.amount > 0), ZERO)
    credit = -sum((p.amount for p in lines if p.amount < 0), ZERO)
    return debit, credit


def parse_year(text: str) -> int:
    """A year on the command line (BadInput, one sentence, otherwise)."""
    if not re.fullmatch(r"[0-9]{4}", text.strip()) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise BadInput(f"--year takes a year such as 2024, not {text!r}.")
    return int(text)


def parse_month(text: str) -> dt.date:
    """`YYYY-MM` as the first day of that month (BadInput, one sentence, otherwise)."""
    found = MONTH.fullmatch(text.strip())
    if (
        found is None
        or not 1 <= int(found[2]) <= 12
        or not FIRST_YEAR <= int(found[1]) <= LAST_YEAR
    ):
        raise BadInput(f"--month takes a month as YYYY-MM, such as 2024-03, not {text!r}.")
    return dt.date(int(found[1]), int(found[2]), 1)


def parse_account(text: str) -> str:
    """An account number on the command line (BadInput, one sentence, otherwise)."""
    if ACCOUNT.fullmatch(text.strip()) is None:
        raise BadInput(f"--account takes an account number such as 1920, not {text!r}.")
    return text.strip()


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


async def held_years(conn: asyncpg.Connection, org_id: int) -> list[int]:
    """The years the organization holds, newest first."""
    return [row["year"] for row in await conn.fetch(Q["sync_years_ledger_held"], org_id)]


async def trial_balance(
    conn: asyncpg.Connection, org: asyncpg.Record, year: int
) -> TrialBalanceReport:
    """The stored trial balance of `org` (a row with id, name, method) for `year`.

    Raises:
        BadInput: the organization holds no such year.
    """
    org_id = int(org["id"])
    proof = await conn.fetchrow(Q["sync_years_ledger_proof"], org_id, year)
    rows = await conn.fetch(Q["trial_balances_of_year"], org_id, year)
    if proof is None and not rows:
        held = await held_years(conn, org_id)
        which = ", ".join(map(str, sorted(held))) if held else "none yet"
        raise BadInput(f"{org['name']} holds no year {year} (it holds: {which}).")
    lines = tuple(TrialBalanceLine(*row) for row in rows)
    stored = None if proof is None else proof["ledger_proven"]
    proven = bool(lines) and (all(x.agrees for x in lines) if stored is None else bool(stored))
    checked = None if proof is None else proof["ledger_checked_at"]
    return TrialBalanceReport(org_id, org["name"], org["method"], year, proven, checked, lines)


async def account_name(conn: asyncpg.Connection, org: asyncpg.Record, account: str) -> str:
    """The account's name ('' if it has none); BadInput if the organization does not know it."""
    row = await conn.fetchrow(Q["ledger_accounts_known"], int(org["id"]), account)
    if row is None:
        raise BadInput(
            f"{org['name']} has no account {account}: it is neither in its chart of accounts "
            "nor on any posting."
        )
    return str(row["name"])


async def dimension_labels(conn: asyncpg.Connection, org_id: int) -> dict[str, str]:
    """Each dimension's label, the free dimensions named as the organization names them."""
    labels = dict(DIMENSIONS)
    for row in await conn.fetch(Q["dimension_names_of_org"], org_id):
        if row["name"]:
            labels[f"free_dimension_{row['dimension_index']}"] = row["name"]
    return labels


def _line(row: asyncpg.Record, labels: dict[str, str]) -> PostingLine:
    dimensions = tuple(
        Dimension(kind, labels[kind], row[kind]) for kind, _ in DIMENSIONS if row[kind] is not None
    )
    return PostingLine(
        row["posting_id"],
        row["posting_date"],
        row["account_number"],
        row["account_name"],
        row["voucher_id"],
        row["voucher_number"],
        row["description"],
        row["amount"],
        dimensions,
    )


async def postings(
    conn: asyncpg.Connection, org_id: int, *, account: str | None, month: dt.date | None
) -> tuple[PostingLine, ...]:
    """The postings of an account (None: every account) in a month (None: all months), in
    date and voucher order, with their dimensions by name."""
    end = None if month is None else next_month(month)
    rows = await conn.fetch(Q["postings_report"], org_id, account, month, end)
    labels = await dimension_labels(conn, org_id)
    return tuple(_line(row, labels) for row in rows)


async def account_months(
    conn: asyncpg.Connection, org_id: int, account: str, year: int
) -> tuple[MonthTotal, ...]:
    """An account's months of a year that hold postings, with their totals."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    rows = await conn.fetch(Q["postings_months_of_account"], org_id, account, start, end)
    return tuple(MonthTotal(*row) for row in rows)


async def voucher(conn: asyncpg.Connection, org_id: int, voucher_id: int) -> Voucher | None:
    """One voucher with its lines; None when no posting carries it."""
    rows = await conn.fetch(Q["postings_of_voucher"], org_id, voucher_id)
    if not rows:
        return None
    labels = await dimension_labels(conn, org_id)
    first = rows[0]
    return Voucher(
        voucher_id,
        first["voucher_number"],
        first["voucher_year"],
        first["voucher_type"],
        first["voucher_description"],
        tuple(_line(row, labels) for row in rows),
    )
