"""A year's trial balance: our postings beside the API's own balances, account by account (pure).

Opening is the previous year's closing as we computed it, or the API's opening for the first year
held; closing is opening + debit - credit. A year is proven when every account's closing equals
the API's to the øre. Amounts are `Decimal` with at most two decimals; floats are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

#: one øre
ORE = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Movement:
    """An account's postings of a year: debit = sum of positive amounts, credit = minus the sum
    of negative ones (both zero or more)."""

    debit: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ApiBalance:
    """The API's own opening and closing balance of an account for the year."""

    opening: Decimal = ZERO
    closing: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Row:
    """One account of the trial balance; `api_closing` is None when the API has no such row."""

    account: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal
    api_closing: Decimal | None
    difference: Decimal

    @property
    def agrees(self) -> bool:
        """Whether our closing equals the API's (an absent API row counts as zero)."""
        return self.difference == 0


@dataclass(frozen=True, slots=True)
class TrialBalance:
    """A year's rows, sorted by account."""

    year: int
    rows: tuple[Row, ...]

    @property
    def proven(self) -> bool:
        """Every account agrees with the API to the øre."""
        return all(row.agrees for row in self.rows)

    @property
    def differing(self) -> tuple[Row, ...]:
        """The accounts that do not agree."""
        return tuple(row for row in self.rows if not row.agrees)

    def closings(self) -> dict[str, Decimal]:
        """Our closing per account: the next year's opening."""
        return {row.account: row.closing for row in self.rows}


def exact(value: Decimal, what: str = "amount") -> Decimal:
    """A Decimal amount with at most two decimals (ValueError otherwise; TypeError for floats)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value != value.quantize(ORE):
        raise ValueError(f"{what} {value} is not a whole number of øre")
    return value


def api_openings(api: Mapping[str, ApiBalance]) -> dict[str, Decimal]:
    """The API's opening per account: the opening of the first year held."""
    return {account: balance.opening for account, balance in api.items()}


def _order(account: str) -> tuple[int, int | str]:
    """Account numbers in numeric order, anything else after them by text."""
    return (0, int(account)) if account.isdigit() else (1, account)


def trial_balance(
    year: int,
    movements: Mapping[str, Movement],
    opening: Mapping[str, Decimal],
    api: Mapping[str, ApiBalance],
) -> TrialBalance:
    """The trial balance of a year.

    Parameters:
        movements: our posting sums per account number for the year.
        opening: the previous year's closing per account (`TrialBalance.closings()`), or for the
            first year held the API's opening (`api_openings(api)`).
        api: the API's own balances per account for the year.
    """
    rows = []
    for account in sorted(set(movements) | set(opening) | set(api), key=_order):
        moved = movements.get(account, Movement())
        debit, credit = exact(moved.debit, "debit"), exact(moved.credit, "credit")
        if debit < 0 or credit < 0:
            raise ValueError(f"account {account}: debit and credit must not be negative")
        start = exact(opening.get(account, ZERO), "opening")
        closing = start + debit - credit
        found = api.get(account)
        api_closing = None if found is None else exact(found.closing, "API closing")
        difference = closing - (api_closing or ZERO)
        rows.append(Row(account, start, debit, credit, closing, api_closing, difference))
    return TrialBalance(year, tuple(rows))
