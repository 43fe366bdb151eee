"""Storing a SAF-T import: staged rows, the duplicate check, and the swap into `postings`.

Posting ids: a period's postings form one block of ids, `block_of(period) + position`, where the
block is the selection period's first and last day (days since 1970, 16 bits each) shifted past
a 31-bit line position. So ids are unique per organization without a table of their own, are
the same every time the same file is imported, and a corrected file of the same period replaces
exactly the block its predecessor wrote (plus anything else dated inside the period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.db.queries import Q
from shared.errors import StorageError
from shared.saft.checks import Ledger
from shared.saft.errors import DuplicateTransaction, InvalidValue
from shared.saft.files import SetReader
from shared.saft.model import Period
from shared.saft.values import where

#: bits of the line position inside a period's block of ids
POSITION_BITS = 31
#: the first day a block can encode (16 bits of days reach into 2149)
EPOCH = dt.date(1970, 1, 1)
#: columns of the staging table, in the order `staged_rows` fills them
COLUMNS = (
    "ordinal", "voucher", "posting_date", "amount", "account_number", "account_name",
    "voucher_number", "row_number", "description", "amount_currency", "currency", "source_line",
)  # fmt: skip


def block_of(period: Period) -> int:
    """The first posting id of a period's block."""
    start, end = ((d - EPOCH).days for d in (period.start, period.end))
    return (start << (POSITION_BITS + 16)) | (end << POSITION_BITS)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """How far the reading got when a batch was cut."""

    bytes_read: int
    transactions: int
    postings: int
    years: dict[str, dict[str, int]]


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows for the staging table, and the progress they bring the import to."""

    rows: list[tuple[Any, ...]]
    progress: Snapshot


@dataclass(slots=True)
class Positions:
    """The last voucher position of each part, to name the file a position comes from."""

    ends: list[tuple[int, str]] = field(default_factory=list)

    def file_of(self, voucher: int) -> str:
        """The part a voucher position belongs to."""
        return next((name for end, name in self.ends if voucher <= end), "")


def snapshot(reader: SetReader, ledger: Ledger) -> Snapshot:
    """The reading's progress (taken on the reading thread)."""
    years = {
        str(y): {"transactions": c.transactions, "postings": c.postings}
        for y, c in sorted(ledger.years.items())
    }
    return Snapshot(reader.bytes_read(), ledger.transactions, ledger.postings, years)


def staged_rows(reader: SetReader, positions: Positions, size: int) -> Iterator[Batch]:
    """Every line of the set as staging rows, `size` rows at a time (pure: only reads files)."""
    ledger = reader.ledger
    rows: list[tuple[Any, ...]] = []
    ordinal = 0
    ends = positions.ends
    for voucher, txn in enumerate(reader.transactions(), 1):
        name = reader.current or ""
        if ends and ends[-1][1] == name:
            ends[-1] = (voucher, name)
        else:
            ends.append((voucher, name))
        default = ledger.header.currency if ledger.header is not None else None
        date, number, line = txn.date, txn.transaction_id, txn.line
        for row_number, p in enumerate(txn.postings, 1):
            ordinal += 1
            foreign = p.currency is not None
            rows.append((
                ordinal, voucher, date, p.amount, p.account_id, p.account_name, number,
                row_number, p.description, p.currency_amount if foreign else p.amount,
                p.currency if foreign else default, line,
            ))  # fmt: skip
        if len(rows) >= size:
            yield Batch(rows, snapshot(reader, ledger))
            rows = []
    if ordinal >= 1 << POSITION_BITS:
        raise InvalidValue("The file holds more than 2^31 lines; split the export by period.")
    yield Batch(rows, snapshot(reader, ledger))


async def find_duplicate(conn: asyncpg.Connection, positions: Positions) -> None:
    """DuplicateTransaction naming both places when a TransactionID is used twice."""
    number = await conn.fetchval(Q["saft_staged_duplicate"])
    if number is None:
        return
    first, second = await conn.fetch(Q["saft_staged_occurrences"], number)
    name = positions.file_of(second["voucher"])
    earlier = f"line {first['source_line']}"
    if positions.file_of(first["voucher"]) != name:
        earlier += f" of {positions.file_of(first['voucher'])}"
    raise DuplicateTransaction(
        f"{where('Transaction', second['source_line'], name)} has TransactionID {number!r}, "
        f"already used by the transaction at {earlier}; every TransactionID must be unique in "
        "the file: correct the export.",
        element="Transaction", line=second["source_line"], file=name,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Replaced:
    """What storing an import changed: postings removed, and the years' counts after."""

    deleted: int
    #: year -> (expected, imported)
    years: dict[int, tuple[int, int]]


async def replace_period(
    conn: asyncpg.Connection, org_id: int, period: Period, ledger: Ledger
) -> Replaced:
    """Swap the period's postings for the staged ones; settle the years. Call in a transaction."""
    block = block_of(period)
    gone = await conn.fetch(
        Q["saft_replace_period"], org_id, block, block + (1 << POSITION_BITS),
        period.start, period.end,
    )  # fmt: skip
    deleted = {r["year"]: r["count"] for r in gone}
    years = sorted({*deleted, *ledger.years, *period.years()})
    kept = await _counts(conn, org_id, years)
    status = await conn.execute(Q["saft_insert_staged"], org_id, block)
    if int(status.rsplit(" ", 1)[1]) != ledger.postings:
        raise StorageError(f"Stored {status} rows of {ledger.postings} lines read; nothing kept.")
    imported = await _counts(conn, org_id, years)
    settled = {}
    for year in years:
        count = ledger.years[year].postings if year in ledger.years else 0
        settled[year] = (kept[year] + count, imported[year])
        await conn.execute(Q["saft_year_settle"], org_id, year, *settled[year])
    return Replaced(sum(deleted.values()), settled)


async def _counts(conn: asyncpg.Connection, org_id: int, years: list[int]) -> dict[int, int]:
    return {r["year"]: r["count"] for r in await conn.fetch(Q["saft_year_counts"], org_id, years)}
