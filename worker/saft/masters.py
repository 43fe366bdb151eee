"""Storing a SAF-T import's MasterFiles: accounts, customers, suppliers, tax codes, balances.

Records arrive with the batches of lines (`worker.saft.store.staged_rows`), are COPYed into the
`saft_masters` staging table and stored at once into ledger_accounts, customers, suppliers and
vat_types, so the lines that follow find them; at the end the accounts' balances become the
year's source_balances. All of it inside the import's one transaction: a refused file leaves
no master row behind, and the same file imported again writes the same rows.

Ids: a SAF-T file keys its customers, suppliers and tax codes by text of up to 35 characters,
which no 63-bit hash maps without collisions. So each organization numbers them itself: a key
first met gets the organization's next id (1, 2, 3, ... per table, in file order), and a key
already held keeps its id (looked up by number; one import per organization at a time holds
the organization's lock). Rows are never deleted, so an id once given stays with its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.db.queries import Q
from shared.saft.errors import DuplicateMaster
from shared.saft.model import Account, Master, Party, Period, TaxCode
from shared.saft.values import where

#: the columns of `saft_masters`, in the order `MasterRows` fills them
MASTER_COLUMNS = (
    "ordinal",
    "kind",
    "file",
    "number",
    "name",
    "organization_number",
    "account_type",
    "saft_code",
    "opening",
    "closing",
    "percentage",
    "effective",
    "source_line",
)
#: the element that holds each kind's key, for sentences
KEYS = {"account": "AccountID", "customer": "CustomerID", "supplier": "SupplierID"}
#: the queries storing each kind, in the order the lines need them
STORES = (
    "saft_masters_store_accounts",
    "saft_masters_store_customers",
    "saft_masters_store_suppliers",
    "saft_masters_store_vat_types",
)
MARKS = (
    "saft_masters_mark_accounts",
    "saft_masters_mark_customers",
    "saft_masters_mark_suppliers",
    "saft_masters_mark_vat_types",
)


@dataclass(slots=True)
class MasterRows:
    """MasterFiles records as `saft_masters` rows, numbered in file order (pure)."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    ordinal: int = 0

    def add(self, record: Account | Master, file: str) -> None:
        """One record of `file`."""
        self.ordinal += 1
        row: tuple[Any, ...]
        if isinstance(record, Account):
            row = (
                "account",
                file,
                record.account_id,
                record.description,
                None,
                record.account_type,
                record.saft_code,
                record.opening,
                record.closing,
                None,
                None,
            )
        elif isinstance(record, Party):
            row = (
                str(record.kind),
                file,
                record.party_id,
                record.name,
                record.registration_number,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        else:
            assert isinstance(record, TaxCode)
            row = (
                "tax",
                file,
                record.code,
                record.description,
                None,
                None,
                None,
                None,
                None,
                record.percentage,
                record.effective,
            )
        self.rows.append((self.ordinal, *row, record.line))

    def take(self) -> list[tuple[Any, ...]]:
        """The rows gathered since the last take."""
        taken, self.rows = self.rows, []
        return taken


@dataclass(slots=True)
class Unlinked:
    """Lines naming a customer, supplier or tax code the MasterFiles do not list."""

    customers: int = 0
    suppliers: int = 0
    tax_codes: int = 0

    def sentences(self) -> list[str]:
        """A warning per kind that occurred."""
        found = []
        for count, what in (
            (self.customers, "CustomerID"),
            (self.suppliers, "SupplierID"),
            (self.tax_codes, "TaxCode"),
        ):
            if count:
                found.append(
                    f"{count} line(s) name a {what} the MasterFiles do not list; they are "
                    "imported without it."
                )
        return found


class MasterWriter:
    """Writes one import's MasterFiles into the master tables, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection, org_id: int) -> None:
        self.conn = conn
        self.org_id = org_id
        #: the last ordinal stored
        self.stored = 0
        self.unlinked = Unlinked()
        self.warnings: list[str] = []

    async def open(self) -> None:
        """Create the staging table."""
        await self.conn.execute(Q["saft_masters_create"])
        await self.conn.execute(Q["saft_masters_index"])

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        """Stage a batch's records, refuse a key used twice in a file, store them."""
        if not rows:
            return
        conn = self.conn
        await conn.copy_records_to_table("saft_masters", records=rows, columns=MASTER_COLUMNS)
        await self._refuse_duplicate()
        for name in STORES:
            await conn.execute(Q[name], self.org_id, self.stored)
        self.stored = rows[-1][0]

    async def count_unlinked(self) -> None:
        """Count the staged lines' references the organization has no row for."""
        found = await self.conn.fetchrow(Q["saft_masters_unlinked"], self.org_id)
        self.unlinked.customers += found["customers"]
        self.unlinked.suppliers += found["suppliers"]
        self.unlinked.tax_codes += found["tax_codes"]

    async def _refuse_duplicate(self) -> None:
        found = await self.conn.fetchrow(Q["saft_masters_duplicate"], self.stored)
        if found is None:
            return
        kind = found["kind"]
        key, record = KEYS[kind], kind.title()
        line, name = found["source_line"], found["file"]
        raise DuplicateMaster(
            f"{where(record, line, name)} has {key} {found['number']!r}, already used by the "
            f"{kind} at line {found['first_line']}; every {key} must be unique in the "
            "MasterFiles: correct the export.",
            element=record,
            line=line,
            file=name,
        )

    async def finish(self, import_id: int, period: Period | None) -> list[str]:
        """The file's balances as its year's source balances; what it does not list marked.

        Returns warnings: references without a master row, balances no year can hold.
        """
        conn = self.conn
        if period is not None and period.start.year == period.end.year:
            await conn.execute(Q["saft_masters_replace_balances"], self.org_id, period.start.year)
            await conn.execute(Q["saft_masters_store_balances"], self.org_id, period.start.year)
        elif period is not None:
            self.warnings.append(
                f"The file's period {period} spans more than one calendar year, so its "
                "balances are not kept as any year's: those years cannot be proven."
            )
        if period is not None and await conn.fetchval(
            Q["saft_masters_is_latest"], self.org_id, import_id, period.end
        ):
            for name in MARKS:
                await conn.execute(Q[name], self.org_id)
        return self.unlinked.sentences() + self.warnings
