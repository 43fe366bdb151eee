"""The between-pages fault: change the data inside a range at an offset the client already read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sandbox.journal import Entry
from sandbox.ledger import Ledger
from sandbox.overlay import Patch, PostingSpec
from sandbox.paging import locate
from sandbox.state import SandboxState

#: the order in which injected mutations cycle
KINDS = ("add", "change", "delete")
#: how much a "change" mutation moves between two postings of a voucher, in øre
SHIFT = 12_345


def between_pages(
    state: SandboxState, ledger: Ledger, span: tuple[int, int], start: int, vouchers: bool
) -> dict[str, Any] | None:
    """Spend one mutation of the fault budget on a page request past the first page."""
    if state.mutations_left <= 0 or start <= 0:
        return None
    first, stop = span
    counts = list(
        ledger.voucher_counts(first, stop) if vouchers else ledger.posting_counts(first, stop)
    )
    found = locate(iter(counts), start // 2)
    if found is None:
        return None
    ordinal, position = found
    entries = ledger.entries(ordinal)
    entry = entries[position] if vouchers else _entry_at(entries, position)
    kind = KINDS[(state.faults.page_mutations - state.mutations_left) % len(KINDS)]
    served_through = sum(count for day, count in counts if day <= ordinal)
    if kind == "add" and served_through >= start:
        kind = "delete"
    state.mutations_left -= 1
    record = _apply(ledger, kind, ordinal, entry)
    state.changed(ledger.company.id, {"source": "fault", **record})
    return record


def _entry_at(entries: list[Entry], position: int) -> Entry:
    """The entry holding the position-th posting of a day."""
    for entry in entries:
        if position < len(entry.postings):
            return entry
        position -= len(entry.postings)
    raise IndexError(position)


def _apply(ledger: Ledger, kind: str, ordinal: int, entry: Entry) -> dict[str, Any]:
    voucher, ids = entry.voucher.id, [p.id for p in entry.postings]
    if kind == "add":
        text = "Innbetaling registrert under henting"
        added = ledger.add(
            ordinal, [PostingSpec(1920, 98_765, text), PostingSpec(3000, -98_765, text)]
        )
        voucher, ids = added.voucher.id, list(added.voucher.posting_ids)
    elif kind == "change":
        changed = list(_shifted(entry))
        for pid, patch in changed:
            ledger.change(pid, patch)
        ids = [pid for pid, _ in changed]
    else:
        for pid in ids:
            ledger.delete(pid)
    day = date.fromordinal(ordinal).isoformat()
    return {"kind": kind, "date": day, "voucher": voucher, "postings": ids}


def _shifted(entry: Entry) -> Iterator[tuple[int, Patch]]:
    """Move SHIFT øre from one credit to one debit posting, so the voucher still balances."""
    debit = next((p for p in entry.postings if p.amount > 0), entry.postings[0])
    credit = next((p for p in entry.postings if p.amount < 0), None)
    yield debit.id, Patch(amount=debit.amount + SHIFT)
    if credit is not None:
        yield credit.id, Patch(amount=credit.amount - SHIFT)
