"""Run-time changes on top of the generated ledger: added vouchers, changed and deleted postings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sandbox.chart import NOK, VAT_NONE, Account, Currency, chart_for
from sandbox.company import Company
from sandbox.journal import Entry, Posting, Voucher, split_voucher_id, to_currency, voucher_id
from sandbox.names import VOUCHER_TYPES
from sandbox.volume import MAX_VOUCHERS_PER_DAY

#: voucher type of vouchers added at run time
ADDED_VOUCHER_TYPE = max(VOUCHER_TYPES)


@dataclass(frozen=True, slots=True)
class Patch:
    """A change to one posting; None leaves a field as it is."""

    amount: int | None = None
    amount_currency: int | None = None
    description: str | None = None
    account_number: int | None = None


@dataclass(frozen=True, slots=True)
class PostingSpec:
    """A posting to add: amount in øre; amount_currency defaults to the converted amount."""

    account_number: int
    amount: int
    description: str = "Bilag lagt til i sandkassen"
    currency: Currency = NOK
    amount_currency: int | None = None


@dataclass(slots=True)
class Overlay:
    """Every change made to one company since start, plus the days they touch."""

    company: Company
    deleted: set[int] = field(default_factory=set)
    patches: dict[int, tuple[Patch, int]] = field(default_factory=dict)
    added: dict[int, list[Entry]] = field(default_factory=dict)
    added_per_year: dict[int, int] = field(default_factory=dict)
    days: set[int] = field(default_factory=set)
    generation: int = 0
    #: changes per voucher id (a posting changed or deleted): the voucher's `version`
    versions: dict[int, int] = field(default_factory=dict)

    def apply(self, ordinal: int, base: list[Entry]) -> list[Entry]:
        """The effective entries of a day: deletions and patches applied, additions appended."""
        every = base + self.added.get(ordinal, [])
        return [e for e in (self._apply_entry(entry) for entry in every) if e is not None]

    def _apply_entry(self, entry: Entry) -> Entry | None:
        ids = entry.voucher.posting_ids
        if not any(pid in self.deleted or pid in self.patches for pid in ids):
            return entry
        kept = [self.patched(p) for p in entry.postings if p.id not in self.deleted]
        if not kept:
            return None
        voucher = entry.voucher._replace(
            posting_ids=tuple(p.id for p in kept),
            version=self.versions.get(entry.voucher.id, 0),
        )
        return Entry(voucher, [p._replace(voucher=voucher) for p in kept])

    def patched(self, posting: Posting) -> Posting:
        """A posting with its patch (if any) applied and its version raised."""
        found = self.patches.get(posting.id)
        if found is None:
            return posting
        patch, version = found
        changed = posting._replace(version=version)
        if patch.amount is not None:
            rate = posting.currency.rate(date.fromisoformat(posting.date).toordinal())
            in_currency = (
                patch.amount if posting.currency is NOK else to_currency(patch.amount, rate)
            )
            changed = changed._replace(amount=patch.amount, amount_gross=patch.amount)
            changed = changed._replace(
                amount_currency=in_currency, amount_gross_currency=in_currency
            )
        if patch.amount_currency is not None:
            in_currency = patch.amount_currency
            changed = changed._replace(
                amount_currency=in_currency, amount_gross_currency=in_currency
            )
        if patch.description is not None:
            changed = changed._replace(description=patch.description)
        if patch.account_number is not None:
            changed = changed._replace(account=chart_for(self.company.id)[patch.account_number])
        return changed

    def add(self, ordinal: int, number: int, specs: list[PostingSpec]) -> Entry:
        """Book a new voucher on a day; `number` is its voucher number in the year."""
        index = MAX_VOUCHERS_PER_DAY + len(self.added.get(ordinal, []))
        vid = voucher_id(self.company, ordinal, index)
        day = date.fromordinal(ordinal)
        ids = tuple(vid * 1000 + row for row in range(1, len(specs) + 1))
        voucher = Voucher(
            vid, number, day.year, day.isoformat(), specs[0].description, ADDED_VOUCHER_TYPE, ids
        )
        postings = [
            _posting(pid, voucher, spec, chart_for(self.company.id)[spec.account_number], ordinal)
            for pid, spec in zip(ids, specs, strict=True)
        ]
        entry = Entry(voucher, postings)
        self.added.setdefault(ordinal, []).append(entry)
        self.added_per_year[day.year] = self.added_per_year.get(day.year, 0) + 1
        self.days.add(ordinal)
        self.generation += 1
        return entry

    def patch(self, posting_id: int, patch: Patch) -> None:
        """Record a change to a posting, merged with earlier ones."""
        old, version = self.patches.get(posting_id, (Patch(), 0))
        merged = Patch(
            patch.amount if patch.amount is not None else old.amount,
            patch.amount_currency if patch.amount_currency is not None else old.amount_currency,
            patch.description if patch.description is not None else old.description,
            patch.account_number if patch.account_number is not None else old.account_number,
        )
        self.patches[posting_id] = (merged, version + 1)
        self._touch(posting_id)

    def delete(self, posting_id: int) -> None:
        """Hide a posting from every endpoint."""
        self.deleted.add(posting_id)
        self._touch(posting_id)

    def _touch(self, posting_id: int) -> None:
        """Note a change to a posting: its day, the data generation and its voucher's version."""
        vid = posting_id // 1000
        self.versions[vid] = self.versions.get(vid, 0) + 1
        self.days.add(day_of(posting_id))
        self.generation += 1


def day_of(posting_id: int) -> int:
    """The day ordinal a posting id belongs to."""
    return split_voucher_id(posting_id // 1000)[1]


def _posting(
    pid: int, voucher: Voucher, spec: PostingSpec, account: Account, ordinal: int
) -> Posting:
    currency = spec.currency
    in_currency = spec.amount_currency
    if in_currency is None:
        rate = currency.rate(ordinal)
        in_currency = spec.amount if currency is NOK else to_currency(spec.amount, rate)
    return Posting(
        id=pid,
        version=0,
        voucher=voucher,
        date=voucher.date,
        row=pid % 1000,
        account=account,
        description=spec.description,
        amount=spec.amount,
        amount_currency=in_currency,
        amount_gross=spec.amount,
        amount_gross_currency=in_currency,
        currency=currency,
        vat_type=VAT_NONE,
        customer=None,
        supplier=None,
        type=None,
        system_generated=False,
        invoice_number="",
    )
