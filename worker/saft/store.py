"""Storing a SAF-T import: staged batches into `postings`, the duplicate check, the years.

Everything runs in the import's one transaction, so nothing is visible before the commit and a
refused file rolls back to exactly the postings that were there. The period's earlier import
goes first; then each batch is COPYed into a staging table and moved into `postings` at once,
so Postgres stores while the next batch is read (on the other core), rather than all at the
end.

Posting ids: a period's postings form one block of ids, `block_of(period) + position`, where the
block is the selection period's first and last day (days since 1970, 16 bits each) shifted past
a 31-bit line position. So ids are unique per organization without a table of their own, are
the same every time the same file is imported, and a corrected file of the same period
replaces exactly the block its predecessor wrote (plus anything else dated inside the period).
A file without a selection period takes its first to its last transaction date as its period
(`worker.saft.importer.transaction_span`, read before the first batch), so it replaces exactly that.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.db.queries import Q
from shared.errors import StorageError
from shared.models import FIRST_YEAR, LAST_YEAR
from shared.saft.checks import Ledger
from shared.saft.errors import DuplicateTransaction, InvalidValue
from shared.saft.files import SetReader
from shared.saft.model import Period, Transaction
from shared.saft.values import where
from worker.saft.masters import MasterRows, MasterWriter

#: bits of the line position inside a period's block of ids
POSITION_BITS = 31
BLOCK = 1 << POSITION_BITS
#: the first day a block can encode (16 bits of days reach into 2149)
EPOCH = dt.date(1970, 1, 1)
#: columns of the staging table, in the order `staged_rows` fills them
COLUMNS = (
    "ordinal",
    "voucher",
    "posting_date",
    "amount",
    "account_number",
    "account_name",
    "voucher_number",
    "row_number",
    "description",
    "amount_currency",
    "currency",
    "source_line",
    "customer_number",
    "supplier_number",
    "tax_code",
)


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
    #: the MasterFiles records read since the last batch (`worker.saft.masters.MASTER_COLUMNS`)
    masters: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(slots=True)
class Positions:
    """The last voucher position of each part, to name the file a position comes from."""

    ends: list[tuple[int, str]] = field(default_factory=list)

    def file_of(self, voucher: int) -> str:
        """The part a voucher position belongs to."""
        return next((name for end, name in self.ends if voucher <= end), "")


def years_of(ledger: Ledger) -> dict[str, dict[str, int]]:
    """Transactions and postings per year, as stored in `saft_imports.years`."""
    return {
        str(y): {"transactions": c.transactions, "postings": c.postings}
        for y, c in sorted(ledger.years.items())
    }


def staged_rows(reader: SetReader, positions: Positions, size: int) -> Iterator[Batch]:
    """Every line of the set as staging rows, `size` rows at a time (pure: only reads files),
    with the MasterFiles records read meanwhile (as many at most).

    Amounts go as text (exact); a line in the default currency has no currency of its own.
    """
    ledger = reader.ledger
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    masters = MasterRows()
    ordinal = voucher = 0
    ends = positions.ends
    for txn in reader.records():
        if not isinstance(txn, Transaction):
            masters.add(txn, reader.current or "")
            if len(masters.rows) >= size:
                yield Batch(rows, _snapshot(reader, ledger), masters.take())
                rows = []
                append = rows.append
            continue
        voucher += 1
        name = reader.current or ""
        if ends and ends[-1][1] == name:
            ends[-1] = (voucher, name)
        else:
            ends.append((voucher, name))
        date, number, line = txn.date, txn.transaction_id, txn.line
        for row_number, posting in enumerate(txn.postings, 1):
            _, account, account_name, amount, text, currency, foreign, _, cust, supp, tax = posting
            ordinal += 1
            append(
                (
                    ordinal,
                    voucher,
                    date,
                    str(amount),
                    account,
                    account_name,
                    number,
                    row_number,
                    text,
                    None if foreign is None else str(foreign),
                    currency,
                    line,
                    cust,
                    supp,
                    tax,
                )
            )
        if len(rows) >= size:
            yield Batch(rows, _snapshot(reader, ledger), masters.take())
            rows = []
            append = rows.append
    if ordinal >= BLOCK:
        raise InvalidValue("The file holds more than 2^31 lines; split the export by period.")
    yield Batch(rows, _snapshot(reader, ledger), masters.take())


def _snapshot(reader: SetReader, ledger: Ledger) -> Snapshot:
    return Snapshot(reader.bytes_read(), ledger.transactions, ledger.postings, years_of(ledger))


@dataclass(frozen=True, slots=True)
class Replaced:
    """What storing an import changed: postings removed, and the years' counts after."""

    deleted: int
    #: year -> (expected, imported)
    years: dict[int, tuple[int, int]]


class Writer:
    """Writes one import's batches into `postings` inside the caller's transaction."""

    def __init__(
        self, conn: asyncpg.Connection, org_id: int, period: Period | None, currency: str
    ) -> None:
        self.conn = conn
        self.org_id = org_id
        #: the import's MasterFiles, stored before the lines that name them
        self.masters = MasterWriter(conn, org_id)
        #: the file's default currency
        self.currency = currency
        #: the period the block is derived from (None: from the first transaction's year)
        self.period = period
        self.block: int | None = None
        self.written = 0
        self.deleted: Counter[int] = Counter()

    async def open(self) -> None:
        """Create the staging tables."""
        await self.conn.execute(Q["saft_stage_create"])
        await self.conn.execute(Q["saft_vouchers_create"])
        await self.masters.open()

    async def write(self, batch: Batch) -> None:
        """Store a batch: its MasterFiles records, then its lines (the first lines replace what
        an earlier import of the period wrote)."""
        await self.masters.write(batch.masters)
        rows = batch.rows
        if not rows:
            return
        conn, block = self.conn, self.block
        if block is None:
            block = self._block(rows[0][2], rows[0][-1])
            await self._delete(Q["saft_replace_block"], block, block + BLOCK)
        await conn.copy_records_to_table("saft_staged", records=rows, columns=COLUMNS)
        await conn.execute(Q["saft_insert_staged"], self.org_id, block, self.currency)
        await self.masters.count_unlinked()
        await conn.execute(Q["saft_keep_vouchers"])
        await conn.execute(Q["saft_stage_clear"])
        self.written += len(rows)

    def _block(self, first_date: dt.date, line: int) -> int:
        """The block of ids, from the period (or the first transaction's year); set once."""
        if self.period is None:
            if not FIRST_YEAR <= first_date.year <= LAST_YEAR:
                raise InvalidValue(
                    f"{where('TransactionDate', line, 'the file')} is in {first_date.year}, "
                    f"outside {FIRST_YEAR}-{LAST_YEAR}; correct it in the export.",
                    element="TransactionDate",
                    line=line,
                )
            year = first_date.year
            self.period = Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
        self.block = block_of(self.period)
        return self.block

    async def _delete(self, query: str, *args: Any) -> None:
        for row in await self.conn.fetch(query, self.org_id, *args):
            self.deleted[row["year"]] += row["count"]

    async def finish(self, ledger: Ledger, positions: Positions) -> Replaced:
        """After the last batch: duplicates, the rest of the period replaced, the years settled."""
        await find_duplicate(self.conn, positions)
        period = ledger.period()
        if self.block is None and period is not None:
            self.block = block_of(self.period or period)
        if self.block is None or period is None:
            return Replaced(0, {})
        block = self.block
        if not self.written:  # nothing was written, so the earlier import's block is still there
            await self._delete(Q["saft_replace_block"], block, block + BLOCK)
        await self._delete(Q["saft_replace_dates"], block, block + BLOCK, period.start, period.end)
        if self.written != ledger.postings:
            raise StorageError(f"Stored {self.written} of {ledger.postings} lines; nothing kept.")
        return Replaced(sum(self.deleted.values()), await self._settle(ledger, period))

    async def _settle(self, ledger: Ledger, period: Period) -> dict[int, tuple[int, int]]:
        years = sorted({*self.deleted, *ledger.years, *period.years()})
        block = self.block
        assert block is not None
        settled = {}
        for row in await self.conn.fetch(
            Q["saft_year_counts"], self.org_id, years, block, block + BLOCK
        ):
            year = row["year"]
            mine = ledger.years[year].postings if year in ledger.years else 0
            if row["mine"] != mine:
                raise StorageError(f"Stored {row['mine']} postings for {year}, read {mine}.")
            settled[year] = (row["total"] - row["mine"] + mine, row["total"])
            await self.conn.execute(Q["saft_year_settle"], self.org_id, year, *settled[year])
        return settled


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
        element="Transaction",
        line=second["source_line"],
        file=name,
    )
