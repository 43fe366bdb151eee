"""One company's ledger: lazy per-day aggregates, paging over days, and the run-time overlay."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import accumulate, chain
from typing import NamedTuple

from sandbox.company import Company
from sandbox.journal import DayBook, Entry, Posting, heads, split_voucher_id
from sandbox.overlay import Overlay, Patch, PostingSpec, day_of
from sandbox.paging import walk
from sandbox.templates import template_of
from sandbox.volume import MAX_VOUCHERS_PER_DAY, daily_means, year_days

#: account-filtered results a ledger keeps (a client pages one range and filter at a time)
MATCHING_KEPT = 8


class DayStats(NamedTuple):
    """A day's (or a year's) totals: debit = sum of positive amounts, credit = of negative ones."""

    vouchers: int
    postings: int
    debit: int
    credit: int


def stats_of(entries: list[Entry]) -> DayStats:
    """Totals of a list of entries."""
    amounts = [p.amount for e in entries for p in e.postings]
    debit = sum(a for a in amounts if a > 0)
    return DayStats(len(entries), len(amounts), debit, sum(amounts) - debit)


@dataclass(frozen=True, slots=True)
class YearStats:
    """Generated per-day voucher and posting counts of a year, with running totals."""

    first: int
    means: tuple[int, ...]
    vouchers: tuple[int, ...]
    postings: tuple[int, ...]
    debit: tuple[int, ...]
    vouchers_before: tuple[int, ...]
    postings_before: tuple[int, ...]

    def day(self, ordinal: int) -> DayStats:
        """The generated totals of one day of this year."""
        i = ordinal - self.first
        return DayStats(self.vouchers[i], self.postings[i], self.debit[i], -self.debit[i])


def year_stats(company: Company, seed: int, year: int) -> YearStats:
    """Compute a year's generated aggregates (one pass over the head words, no postings built)."""
    means = daily_means(company, year)
    vouchers: list[int] = []
    postings: list[int] = []
    debit: list[int] = []
    for day, mean in zip(year_days(year), means, strict=True):
        words = heads(company, seed, day.toordinal(), mean)
        count = debit_sum = 0
        for head in words:
            template = template_of(head)
            count += template.size(head)
            debit_sum += template.debit(head)
        vouchers.append(len(words))
        postings.append(count)
        debit.append(debit_sum)
    return YearStats(
        date(year, 1, 1).toordinal(),
        means,
        tuple(vouchers),
        tuple(postings),
        tuple(debit),
        tuple(accumulate(vouchers, initial=0)),
        tuple(accumulate(postings, initial=0)),
    )


class Ledger:
    """The ledger of one company for one seed; generated data plus an overlay of changes."""

    def __init__(self, company: Company, seed: int) -> None:
        self.company = company
        self.seed = seed
        self.overlay = Overlay(company)
        self.data_years = company.years
        self._year_set = frozenset(self.data_years)
        self._years: dict[int, YearStats] = {}
        self._effective: dict[int, DayStats] = {}
        #: the latest account-filtered results, by range, account numbers and data generation
        self._matching: dict[tuple[int, ...], list[Posting]] = {}

    def year(self, year: int) -> YearStats:
        """A data year's aggregates, computed on first use."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = year_stats(self.company, self.seed, year)
        return found

    def book(self, ordinal: int) -> DayBook:
        """The generated day (no overlay)."""
        stats = self.year(date.fromordinal(ordinal).year)
        i = ordinal - stats.first
        words = heads(self.company, self.seed, ordinal, stats.means[i])
        return DayBook(self.company, self.seed, ordinal, words, stats.vouchers_before[i])

    def entries(self, ordinal: int) -> list[Entry]:
        """Every voucher of a day of a data year as it stands now."""
        base = self.book(ordinal).entries()
        return self.overlay.apply(ordinal, base) if ordinal in self.overlay.days else base

    def _counts(self, first: int, stop: int, vouchers: bool) -> Iterator[tuple[int, int]]:
        """(ordinal, count) of every day in first..stop (exclusive) of the data years, in order."""
        effective = self._effective
        for year in self.data_years:
            start = max(first, date(year, 1, 1).toordinal())
            end = min(stop, date(year + 1, 1, 1).toordinal())
            if start >= end:
                continue
            stats = self.year(year)
            for ordinal in range(start, end):
                now = effective.get(ordinal)
                if now is not None:
                    yield ordinal, now.vouchers if vouchers else now.postings
                else:
                    counts = stats.vouchers if vouchers else stats.postings
                    yield ordinal, counts[ordinal - stats.first]

    def posting_counts(self, first: int, stop: int) -> Iterator[tuple[int, int]]:
        """(ordinal, postings) per day of a range, in date order."""
        return self._counts(first, stop, vouchers=False)

    def voucher_counts(self, first: int, stop: int) -> Iterator[tuple[int, int]]:
        """(ordinal, vouchers) per day of a range, in date order."""
        return self._counts(first, stop, vouchers=True)

    def totals(self, first: int, stop: int) -> DayStats:
        """Totals of a date range (stop exclusive) as they stand now."""
        vouchers = postings = debit = credit = 0
        for year in self.data_years:
            start = max(first, date(year, 1, 1).toordinal())
            end = min(stop, date(year + 1, 1, 1).toordinal())
            if start >= end:
                continue
            stats = self.year(year)
            i, j = start - stats.first, end - stats.first
            vouchers += stats.vouchers_before[j] - stats.vouchers_before[i]
            postings += stats.postings_before[j] - stats.postings_before[i]
            debit += sum(stats.debit[i:j])
        credit = -debit
        for ordinal, now in self._effective.items():
            if first <= ordinal < stop:
                base = self.year(date.fromordinal(ordinal).year).day(ordinal)
                vouchers += now.vouchers - base.vouchers
                postings += now.postings - base.postings
                debit += now.debit - base.debit
                credit += now.credit - base.credit
        return DayStats(vouchers, postings, debit, credit)

    def postings(self, first: int, stop: int, offset: int, limit: int) -> list[Posting]:
        """Postings offset..offset+limit of a date range in the default order."""
        found: list[Posting] = []
        for key, start, end in walk(self.posting_counts(first, stop), offset, limit):
            if key in self.overlay.days:
                found += list(chain.from_iterable(e.postings for e in self.entries(key)))[start:end]
                continue
            book = self.book(key)
            sizes = list(accumulate(book.sizes(), initial=0))
            first_v = next(i for i in range(len(sizes)) if sizes[i + 1] > start)
            last_v = next(i for i in range(first_v, len(sizes)) if sizes[i] >= end)
            rows = chain.from_iterable(e.postings for e in book.entries(first_v, last_v))
            found += list(rows)[start - sizes[first_v] : end - sizes[first_v]]
        return found

    def matching(self, first: int, stop: int, low: int, high: int) -> list[Posting]:
        """Postings of a date range whose account number is in low..high (exclusive), in the
        default order: built from every posting of the range, so meant for a few days."""
        key = (first, stop, low, high, self.overlay.generation)
        found = self._matching.get(key)
        if found is None:
            found = [
                posting
                for ordinal, count in self.posting_counts(first, stop)
                if count
                for entry in self.entries(ordinal)
                for posting in entry.postings
                if low <= posting.account.number < high
            ]
            if len(self._matching) >= MATCHING_KEPT:
                del self._matching[next(iter(self._matching))]
            self._matching[key] = found
        return found

    def vouchers(self, first: int, stop: int, offset: int, limit: int) -> list[Entry]:
        """Vouchers offset..offset+limit of a date range, by date and number."""
        found: list[Entry] = []
        for key, start, end in walk(self.voucher_counts(first, stop), offset, limit):
            if key in self.overlay.days:
                found += self.entries(key)[start:end]
            else:
                found += self.book(key).entries(start, end)
        return found

    def voucher(self, vid: int) -> Entry | None:
        """A voucher by id, as it stands now (None when unknown or deleted)."""
        slot, ordinal, index = split_voucher_id(vid)
        if slot != self.company.slot or not self.holds(ordinal):
            return None
        if ordinal in self.overlay.days or index >= MAX_VOUCHERS_PER_DAY:
            return next((e for e in self.entries(ordinal) if e.voucher.id == vid), None)
        book = self.book(ordinal)
        return book.entries(index, index + 1)[0] if index < len(book.heads) else None

    def posting(self, pid: int) -> Posting | None:
        """A posting by id, as it stands now (None when unknown or deleted)."""
        entry = self.voucher(pid // 1000)
        return next((p for p in entry.postings if p.id == pid), None) if entry else None

    def year_totals(self, year: int) -> DayStats:
        """A calendar year's totals as they stand now."""
        return self.totals(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal())

    def holds(self, ordinal: int) -> bool:
        """Whether a day lies in one of the company's accounting years."""
        return date.fromordinal(ordinal).year in self._year_set

    def add(self, ordinal: int, specs: list[PostingSpec]) -> Entry:
        """Book a new voucher on a day of a data year (numbered after the year's other vouchers)."""
        year = date.fromordinal(ordinal).year
        generated = self.year(year).vouchers_before[-1]
        number = generated + self.overlay.added_per_year.get(year, 0) + 1
        entry = self.overlay.add(ordinal, number, specs)
        self._refresh(ordinal)
        return entry

    def change(self, pid: int, patch: Patch) -> Posting | None:
        """Change a posting; None when it does not exist."""
        if self.posting(pid) is None:
            return None
        self.overlay.patch(pid, patch)
        self._refresh(day_of(pid))
        return self.posting(pid)

    def delete(self, pid: int) -> bool:
        """Delete a posting; False when it does not exist."""
        if self.posting(pid) is None:
            return False
        self.overlay.delete(pid)
        self._refresh(day_of(pid))
        return True

    def _refresh(self, ordinal: int) -> None:
        self._effective[ordinal] = stats_of(self.entries(ordinal))
