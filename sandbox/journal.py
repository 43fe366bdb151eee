"""The deterministic generator: one company-day of vouchers and postings from hash(seed, ...)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import NamedTuple

from sandbox.chart import FOREIGN, NOK, VAT_TYPES, Account, Currency, VatType, chart_for
from sandbox.company import Company
from sandbox.names import CUSTOMERS, DESCRIPTIONS, FOREIGN_PARTIES, MONTHS, SUPPLIERS
from sandbox.templates import Kind, Role, template_of
from sandbox.volume import voucher_count

#: day ordinals in ids count from here
EPOCH = date(1970, 1, 1).toordinal()
#: invoice numbers are only printed for these kinds
INVOICED = (Kind.SALE, Kind.FOREIGN_SALE, Kind.CUSTOMER_PAYMENT)
CUSTOMER, SUPPLIER = Role.CUSTOMER, Role.SUPPLIER
#: builds a NamedTuple from a tuple without the Python-level __new__ (the hot path)
_new = tuple.__new__


class Party(NamedTuple):
    """A customer or supplier a posting refers to."""

    id: int
    name: str
    role: Role


class Voucher(NamedTuple):
    """A voucher (bilag); `posting_ids` lists its postings in row order."""

    id: int
    number: int
    year: int
    date: str
    description: str
    type_id: int
    posting_ids: tuple[int, ...]
    version: int = 0


class Posting(NamedTuple):
    """A posting; amounts are integers in øre (or the currency's minor unit)."""

    id: int
    version: int
    voucher: Voucher
    date: str
    row: int
    account: Account
    description: str
    amount: int
    amount_currency: int
    amount_gross: int
    amount_gross_currency: int
    currency: Currency
    vat_type: VatType
    customer: Party | None
    supplier: Party | None
    type: str | None
    system_generated: bool
    invoice_number: str


class Entry(NamedTuple):
    """A voucher with its postings."""

    voucher: Voucher
    postings: list[Posting]


def voucher_id(company: Company, ordinal: int, index: int) -> int:
    """The stable id of the index-th voucher of a company-day."""
    return (company.slot * 100_000 + ordinal - EPOCH) * 100_000 + index


def split_voucher_id(vid: int) -> tuple[int, int, int]:
    """(slot, day ordinal, index) of a voucher id."""
    rest, index = divmod(vid, 100_000)
    slot, day = divmod(rest, 100_000)
    return slot, day + EPOCH, index


def _stream(seed: int, company: Company, ordinal: int, tag: bytes, words: int) -> tuple[int, ...]:
    key = b"%d:%d:%d:%s" % (seed, company.id, ordinal, tag)
    return struct.unpack(f"<{words}Q", hashlib.shake_128(key).digest(8 * words))


def heads(company: Company, seed: int, ordinal: int, mean: int) -> tuple[int, ...]:
    """The head word of every voucher of a day; `mean` is its expected count (in millionths).

    A big day ignores the mean: it holds vouchers until their postings reach its count.
    """
    big = company.big_day(ordinal) if company.big_days else None
    if big is not None:
        return _big_heads(company, seed, ordinal, big)
    count = voucher_count(mean, _stream(seed, company, ordinal, b"c", 1)[0]) if mean else 0
    return _stream(seed, company, ordinal, b"h", count) if count else ()


def _big_heads(company: Company, seed: int, ordinal: int, postings: int) -> tuple[int, ...]:
    """As many head words as it takes for their vouchers to hold `postings` postings (or up to
    five more: a voucher is never cut)."""
    words = _stream(seed, company, ordinal, b"h", postings // 2 + 1)
    total = 0
    for count, head in enumerate(words):
        if total >= postings:
            return words[:count]
        total += template_of(head).size(head)
    return words


def to_currency(amount: int, rate: int) -> int:
    """Convert øre to the currency's minor unit at a rate in 1/10,000 NOK, rounding half up."""
    magnitude = (abs(amount) * 20_000 + rate) // (2 * rate)
    return magnitude if amount >= 0 else -magnitude


@dataclass(frozen=True, slots=True)
class DayBook:
    """One company-day: `first_number` is how many vouchers the year had before this day."""

    company: Company
    seed: int
    ordinal: int
    heads: tuple[int, ...]
    first_number: int

    def sizes(self) -> list[int]:
        """Postings per voucher, in voucher order."""
        return [template_of(h).size(h) for h in self.heads]

    def entries(self, start: int = 0, stop: int | None = None) -> list[Entry]:
        """Vouchers start..stop of the day with their postings."""
        stop = len(self.heads) if stop is None else stop
        if stop <= start:
            return []
        details = _stream(self.seed, self.company, self.ordinal, b"d", stop)
        day = date.fromordinal(self.ordinal)
        iso = day.isoformat()
        return [self._entry(i, details[i], day, iso) for i in range(start, stop)]

    def _entry(self, index: int, detail: int, day: date, iso: str) -> Entry:
        head = self.heads[index]
        template = template_of(head)
        currency = FOREIGN[(head >> 49) & 3] if template.foreign else NOK
        number = self.first_number + index + 1
        vid = voucher_id(self.company, self.ordinal, index)
        lines = template.lines(head, detail)
        customer, supplier = parties(self.company.id, head, template.foreign)
        invoice = f"{day.year % 100:02d}{number:05d}" if template.kind in INVOICED else ""
        party = customer if template.kind in INVOICED else supplier
        formats = DESCRIPTIONS[template.kind]  # the Norwegian description, picked by the head word
        month = MONTHS[day.month - 1]
        description = formats[(head >> 33) % len(formats)].format(
            party=party.name, inv=invoice, month=month, year=day.year, cur=currency.code
        )
        ids = tuple(range(vid * 1000 + 1, vid * 1000 + len(lines) + 1))
        voucher = Voucher(vid, number, day.year, iso, description, template.voucher_type, ids)
        chart = chart_for(self.company.id)
        rate = currency.rate(self.ordinal)
        foreign = currency is not NOK
        postings = [
            _new(
                Posting,
                (
                    pid,
                    0,
                    voucher,
                    iso,
                    pid % 1000,
                    chart[line.number],
                    description,
                    line.amount,
                    to_currency(line.amount, rate) if foreign else line.amount,
                    line.gross,
                    to_currency(line.gross, rate) if foreign else line.gross,
                    currency,
                    VAT_TYPES[line.vat_id],
                    customer if line.role is CUSTOMER else None,
                    supplier if line.role is SUPPLIER else None,
                    line.type,
                    line.system_generated,
                    invoice if line.role is CUSTOMER else "",
                ),
            )
            for pid, line in zip(ids, lines, strict=True)
        ]
        return Entry(voucher, postings)


@cache
def all_parties(company_id: int) -> tuple[tuple[Party, ...], tuple[Party, ...], tuple[Party, ...]]:
    """A company's customers, suppliers and foreign parties, as the generator picks them."""
    base = company_id * 1000
    return (
        tuple(Party(base + i, name, Role.CUSTOMER) for i, name in enumerate(CUSTOMERS)),
        tuple(Party(base + 500 + i, name, Role.SUPPLIER) for i, name in enumerate(SUPPLIERS)),
        tuple(Party(base + 900 + i, name, Role.CUSTOMER) for i, name in enumerate(FOREIGN_PARTIES)),
    )


def parties(company_id: int, head: int, foreign: bool) -> tuple[Party, Party]:
    """The customer and supplier a voucher head picks (one foreign party for foreign vouchers)."""
    customers, suppliers, abroad = all_parties(company_id)
    if foreign:
        party = abroad[(head >> 41) & 7]
        return party, party._replace(role=Role.SUPPLIER)
    return customers[(head >> 41) & 15], suppliers[(head >> 45) & 15]
