"""How many vouchers a company books on each day: seasonal, weekday-shaped, integer-only."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from sandbox.company import Company
from sandbox.templates import MEAN_POSTINGS

#: relative activity Monday..Sunday
WEEKDAY_WEIGHT = (100, 104, 100, 98, 96, 12, 4)
#: relative activity January..December
MONTH_WEIGHT = (90, 95, 105, 95, 100, 105, 55, 100, 105, 105, 110, 120)
#: expected counts are kept in millionths of a voucher
MICRO = 1_000_000
#: voucher indexes at and above this are reserved for vouchers added at run time
MAX_VOUCHERS_PER_DAY = 90_000


def year_days(year: int) -> list[date]:
    """Every date of a year."""
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def _weight(day: date, months: tuple[int, ...]) -> int:
    return WEEKDAY_WEIGHT[day.weekday()] * months[day.month - 1]


def _scale(postings: int, weights: list[int]) -> Fraction:
    """Millionths of a voucher per unit of weight, so that the weights add up to `postings`."""
    total = sum(weights)
    return Fraction(postings * MICRO) / MEAN_POSTINGS / total if total else Fraction(0)


def daily_means(company: Company, year: int) -> tuple[int, ...]:
    """Expected vouchers (in millionths) for each day of the year, busy months included (a big
    day's vouchers are counted apart: see `journal.heads`)."""
    days = year_days(year)
    months = company.season or MONTH_WEIGHT
    weights = [_weight(d, months) for d in days]
    scale = _scale(company.target(year), weights)
    means = [int(scale * w) for w in weights]
    for month in range(1, 13):
        busy = company.busy_target(year, month)
        if busy is None:
            continue
        index = [i for i, d in enumerate(days) if d.month == month]
        month_scale = _scale(busy, [weights[i] for i in index])
        for i in index:
            means[i] = int(month_scale * weights[i])
    return tuple(means)


def voucher_count(mean: int, word: int) -> int:
    """Vouchers on a day: the mean (millionths) varied by ±20 % and stochastically rounded."""
    factor = 800_000 + ((word & 0xFFFFFFFF) * 400_000 >> 32)
    micro = mean * factor // MICRO + ((word >> 32) * MICRO >> 32)
    return min(micro // MICRO, MAX_VOUCHERS_PER_DAY - 1)
