"""A company of a scenario: identity, accounting years and how much it books."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class CompanyType(StrEnum):
    """Norwegian legal forms Tripletex reports in `type`."""

    AS = "AS"
    ENK = "ENK"
    SA = "SA"
    ASA = "ASA"


def organization_number(base: int) -> str:
    """A valid 9-digit Norwegian organisation number (MOD11) built from an 8-digit base."""
    while True:
        digits = [int(d) for d in f"{base:08d}"[-8:]]
        remainder = sum(d * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        check = (11 - remainder) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        base += 1


@dataclass(frozen=True, slots=True)
class Company:
    """One company: `postings` holds the target postings per year (0 = an empty year).

    `big_days` are (day ordinal, postings) of days booked apart from the rest (a year-end
    closing, a migration); `season` weighs the months January..December (None: the usual ones).
    `opening` holds (account number, øre) carried into the first year: the closing of a year the
    sandbox holds but does not list (no annual account, no postings served); they sum to zero.
    """

    id: int
    slot: int
    name: str
    organization_number: str
    postings: tuple[tuple[int, int], ...]
    busy_months: tuple[tuple[int, int, int], ...] = ()
    type: CompanyType = CompanyType.AS
    accountant: bool = False
    email: str = field(default="")
    big_days: tuple[tuple[int, int], ...] = ()
    season: tuple[int, ...] | None = None
    opening: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if sum(amount for _, amount in self.opening):
            raise ValueError(f"the opening balances of company {self.id} do not sum to zero")

    @property
    def customer_company_id(self) -> int:
        """The id Tripletex shows as `customerCompanyId` (never valid as a Basic username)."""
        return 5_000_000 + self.id * 7

    @property
    def years(self) -> tuple[int, ...]:
        """Every year with an annual account, oldest first."""
        return tuple(sorted(year for year, _ in self.postings))

    @property
    def opening_day(self) -> int:
        """The day the opening balances are booked on: 31 December before the first year."""
        return date(self.years[0] - 1, 12, 31).toordinal()

    def target(self, year: int) -> int:
        """The number of postings the company books in a year, roughly."""
        return dict(self.postings).get(year, 0)

    def big_day(self, ordinal: int) -> int | None:
        """The postings of a big day, when the day is one."""
        for day, count in self.big_days:
            if day == ordinal:
                return count
        return None

    def busy_target(self, year: int, month: int) -> int | None:
        """The postings of a busy month, when it is one."""
        for y, m, count in self.busy_months:
            if (y, m) == (year, month):
                return count
        return None
