"""Per-account sums over date ranges (the general ledger), with lazily cached whole years."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sandbox.chart import NOK
from sandbox.ledger import Ledger

#: (account number, currency id) -> [sum of amount, sum of amountCurrency]
Sums = dict[tuple[int, int], list[int]]


def add_into(total: Sums, part: Sums) -> None:
    """Add one set of sums into another."""
    for key, (amount, currency) in part.items():
        found = total.setdefault(key, [0, 0])
        found[0] += amount
        found[1] += currency


class Balances:
    """Account sums of one ledger; whole years are cached until the ledger changes."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._years: dict[int, Sums] = {}
        self._generation = ledger.overlay.generation

    def day(self, ordinal: int) -> Sums:
        """Sums of one day's postings."""
        sums: Sums = defaultdict(lambda: [0, 0])
        for entry in self.ledger.entries(ordinal):
            for posting in entry.postings:
                found = sums[(posting.account.number, posting.currency.id)]
                found[0] += posting.amount
                found[1] += posting.amount_currency
        return dict(sums)

    def year(self, year: int) -> Sums:
        """Sums of a whole data year (cached)."""
        if self._generation != self.ledger.overlay.generation:
            self._years.clear()
            self._generation = self.ledger.overlay.generation
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self.between(
                date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal(), whole_years=False
            )
        return found

    def between(self, first: int, stop: int, *, whole_years: bool = True) -> Sums:
        """Sums of every posting dated first..stop (exclusive), the opening balances included
        when the range holds the day they are booked on (they are never listed as postings)."""
        total: Sums = {}
        company = self.ledger.company
        if company.opening and first <= company.opening_day < stop:
            add_into(total, {(n, NOK.id): [amount, amount] for n, amount in company.opening})
        for year in self.ledger.data_years:
            start = max(first, date(year, 1, 1).toordinal())
            end = min(stop, date(year + 1, 1, 1).toordinal())
            if start >= end:
                continue
            if whole_years and (start, end) == (
                date(year, 1, 1).toordinal(),
                date(year + 1, 1, 1).toordinal(),
            ):
                add_into(total, self.year(year))
                continue
            for ordinal in range(start, end):
                add_into(total, self.day(ordinal))
        return total

    def opening(self, first: int) -> Sums:
        """Sums of everything before a date (the opening balances)."""
        return self.between(date.min.toordinal(), first)
