"""Pure planning of an import: which years, which ranges, how a range too large is split. No I/O.

Tripletex reports no totals (`fullResultSize` only says whether more results remain), so nothing
is probed: a year is first asked for whole, 10,000 postings a page, and only the API's 422/23000
answer ("more than 10,000 results") splits a range, one level at a time — year → months → halves
of a range down to one day → account-number ranges of that day → halves of those. The split costs
the one refused request and nothing more; a re-sync reuses the last sync's ranges at once.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.models import FIRST_YEAR

#: the API refuses a query whose whole result exceeds this many objects (422 / 23000)
RESULT_CAP = 10_000
#: the account-number classes a day is split into first (Norwegian standard chart NS 4102:
#: 1 assets, 2 equity and liabilities, 3 income, 4-7 costs, 8 financial); an open end is None
ACCOUNT_CLASSES: tuple[tuple[int | None, int | None], ...] = (
    (None, 2000),
    (2000, 3000),
    (3000, 4000),
    (4000, 5000),
    (5000, 6000),
    (6000, 7000),
    (7000, 8000),
    (8000, 10000),
    (10000, None),
)
#: a day above this many times the median day is a one-off, not a pattern for other years
SPIKE_FACTOR = 4
#: the largest account number an open-ended range is bisected up to
ACCOUNT_CEILING = 10**9


@dataclass(frozen=True, slots=True, order=True)
class DateRange:
    """Dates from `start` (inclusive) to `end` (exclusive), as the API's dateFrom/dateTo."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty date range {self.start}..{self.end}")

    @property
    def days(self) -> int:
        """How many days the range spans."""
        return (self.end - self.start).days

    @property
    def year(self) -> int:
        """The year the range starts in."""
        return self.start.year

    @property
    def is_year(self) -> bool:
        """Whether the range is one whole calendar year."""
        return self == year_range(self.start.year)


@dataclass(frozen=True, slots=True, order=True)
class AccountRange:
    """Account numbers from `low` (inclusive) to `high` (exclusive); None is an open end.

    Sent as `accountNumberFrom=low` and `accountNumberTo=high`. Whether Tripletex reads
    `accountNumberTo` inclusively is not documented: either way the answer covers the range (at
    most one account more), and the importer keeps only the postings inside it.
    """

    low: int | None = None
    high: int | None = None

    @property
    def whole(self) -> bool:
        """No bound at all: every account."""
        return self.low is None and self.high is None

    @property
    def single(self) -> bool:
        """One account number only: it cannot be split any further."""
        return self.low is not None and self.high is not None and self.high - self.low <= 1


#: every account: a chunk not narrowed by account number
ALL_ACCOUNTS = AccountRange()


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    """What one chunk imports: a date range, narrowed to an account range below one day."""

    span: DateRange
    accounts: AccountRange = ALL_ACCOUNTS

    def label(self) -> str:
        """How a person reads it: `2025`, `2025-03`, `2025-03-01..2025-03-16`, `+ accounts`."""
        return describe_scope(self)


def year_range(year: int) -> DateRange:
    """The whole of one year."""
    return DateRange(date(year, 1, 1), date(year + 1, 1, 1))


def month_ranges(year: int) -> list[DateRange]:
    """The twelve months of a year, in order."""
    starts = [date(year, month, 1) for month in range(1, 13)] + [date(year + 1, 1, 1)]
    return [DateRange(a, b) for a, b in itertools.pairwise(starts)]


def can_split(span: DateRange) -> bool:
    """A range of one day cannot be split by date any further."""
    return span.days > 1


def halves(span: DateRange) -> tuple[DateRange, DateRange]:
    """The range split in two at its middle day."""
    if not can_split(span):
        raise ValueError(f"a one-day range cannot be split: {span.start}")
    middle = span.start + timedelta(days=span.days // 2)
    return DateRange(span.start, middle), DateRange(middle, span.end)


def account_halves(accounts: AccountRange) -> tuple[AccountRange, AccountRange]:
    """An account range split in two at its middle number (an open top counts as the ceiling)."""
    low = accounts.low or 0
    high = accounts.high if accounts.high is not None else ACCOUNT_CEILING
    if high - low <= 1:
        raise ValueError(f"one account cannot be split: {low}")
    middle = (low + high) // 2
    return AccountRange(accounts.low, middle), AccountRange(middle, accounts.high)


def split(scope: Scope) -> list[Scope]:
    """The next finer scopes of one the API refused as over 10,000 results ([] when none is).

    A whole year goes to its months; any longer range to its halves; one day to the account
    classes; an account range to its halves; one account on one day cannot be split.
    """
    span, accounts = scope.span, scope.accounts
    if not accounts.whole:
        if accounts.single:
            return []
        return [Scope(span, half) for half in account_halves(accounts)]
    if span.is_year:
        return [Scope(month) for month in month_ranges(span.year)]
    if can_split(span):
        return [Scope(half) for half in halves(span)]
    return [Scope(span, AccountRange(low, high)) for low, high in ACCOUNT_CLASSES]


@dataclass(frozen=True, slots=True)
class Density:
    """Postings per day (and per account number, on days above the cap) of imported dates."""

    per_day: Mapping[date, int]
    per_day_account: Mapping[date, Mapping[int, int]] = field(default_factory=dict)

    def count(self, scope: Scope) -> int:
        """How many postings the scope holds (on the days known here; others count 0)."""
        span, accounts = scope.span, scope.accounts
        days = [span.start + timedelta(days=n) for n in range(span.days)]
        if accounts.whole:
            return sum(self.per_day.get(day, 0) for day in days)
        low = -math.inf if accounts.low is None else accounts.low
        high = math.inf if accounts.high is None else accounts.high
        return sum(
            n
            for day in days
            for number, n in self.per_day_account.get(day, {}).items()
            if low <= number < high
        )

    def without_spikes(self, factor: int = SPIKE_FACTOR) -> Density:
        """Days held down to `factor` × the median busy day, account counts dropped: a pattern
        for other years, where a one-off day (a closing, a migration) does not come back."""
        busy = sorted(n for n in self.per_day.values() if n)
        if not busy:
            return Density({})
        ceiling = factor * busy[len(busy) // 2]
        return Density({day: min(n, ceiling) for day, n in self.per_day.items()})

    def moved_to(self, year: int) -> Density:
        """The same days of the year in another year (29 February falls on the 28th)."""
        per_day: dict[date, int] = {}
        for day, n in self.per_day.items():
            moved = _same_day(day, year)
            per_day[moved] = per_day.get(moved, 0) + n
        per_account = {_same_day(day, year): n for day, n in self.per_day_account.items()}
        return Density(per_day, per_account)


def planned(scope: Scope, predict: Callable[[Scope], int], cap: int = RESULT_CAP) -> list[Scope]:
    """The scope split, as the API would make it split, wherever `predict` says it holds more
    than `cap`: a year like one already imported is asked for in the ranges that one needed.

    A wrong guess costs what asking would: one request more either way (an extra range where
    the guess was too high, a refused one where it was too low).
    """
    children = split(scope) if predict(scope) > cap else []
    if not children:
        return [scope]
    return [part for child in children for part in planned(child, predict, cap)]


def years_to_import(listed: set[int], earliest_posting: date | None, this_year: int) -> list[int]:
    """Every year from the first that holds postings or an annual account through this one.

    `ledger/annualAccount` may miss a year that holds postings (one before the first annual
    account, or a gap): every year in between is asked for, at one request for an empty one.
    """
    starts = [*listed, this_year]
    if earliest_posting is not None:
        starts.append(earliest_posting.year)
    first = max(min(starts), FIRST_YEAR)
    return list(range(this_year, first - 1, -1))


def describe_scope(scope: Scope) -> str:
    """A scope as a person reads it (see `Scope.label`)."""
    span = scope.span
    if span.is_year:
        text = str(span.year)
    elif span.start.day == 1 and span.end == _next_month(span.start):
        text = span.start.strftime("%Y-%m")
    elif span.days == 1:
        text = span.start.isoformat()
    else:
        text = f"{span.start.isoformat()}..{(span.end - timedelta(days=1)).isoformat()}"
    accounts = scope.accounts
    if accounts.whole:
        return text
    low = "" if accounts.low is None else str(accounts.low)
    high = "" if accounts.high is None else str(accounts.high - 1)
    return f"{text} accounts {low}–{high}"


def _same_day(day: date, year: int) -> date:
    """The same month and day in another year (29 February: the 28th where there is none)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
