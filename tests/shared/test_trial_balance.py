"""The trial balance (pure): rows, differences to the øre, and what makes a year proven."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.ledger.trial_balance import (
    ApiBalance,
    Movement,
    Row,
    api_openings,
    exact,
    trial_balance,
)

D = Decimal


def _row(rows: tuple[Row, ...], account: str) -> Row:
    return next(row for row in rows if row.account == account)


def test_a_year_whose_every_account_agrees_is_proven() -> None:
    api = {"1920": ApiBalance(D("100.00"), D("150.50")), "3000": ApiBalance(D(0), D("-50.50"))}
    moved = {"1920": Movement(D("60.50"), D("10.00")), "3000": Movement(D(0), D("50.50"))}
    found = trial_balance(2024, moved, api_openings(api), api)
    assert found.proven
    assert found.differing == ()
    bank = _row(found.rows, "1920")
    assert (bank.opening, bank.debit, bank.credit, bank.closing) == (
        D("100.00"),
        D("60.50"),
        D("10.00"),
        D("150.50"),
    )
    assert (bank.api_closing, bank.difference) == (D("150.50"), D(0))


@pytest.mark.parametrize(
    ("movements", "opening", "api", "expected"),
    [
        pytest.param(
            {},
            {},
            {"2000": ApiBalance(D(0), D("-1000.00"))},
            ("2000", D(0), D("-1000.00"), D("1000.00")),
            id="only-in-the-api",
        ),
        pytest.param(
            {"7770": Movement(D("35.00"), D(0))},
            {},
            {},
            ("7770", D("35.00"), None, D("35.00")),
            id="only-in-ours",
        ),
        pytest.param(
            {"1500": Movement(D("10.01"), D(0))},
            {"1500": D("5.00")},
            {"1500": ApiBalance(D("5.00"), D("15.00"))},
            ("1500", D("15.01"), D("15.00"), D("0.01")),
            id="one-øre",
        ),
        pytest.param(
            {},
            {"2050": D("-300.00")},
            {"2050": ApiBalance(D("-300.00"), D("-300.00"))},
            ("2050", D("-300.00"), D("-300.00"), D(0)),
            id="opening-only",
        ),
    ],
)
def test_table_cases(
    movements: dict[str, Movement],
    opening: dict[str, Decimal],
    api: dict[str, ApiBalance],
    expected: tuple[str, Decimal, Decimal | None, Decimal],
) -> None:
    account, closing, api_closing, difference = expected
    found = trial_balance(2023, movements, opening, api)
    row = _row(found.rows, account)
    assert (row.closing, row.api_closing, row.difference) == (closing, api_closing, difference)
    assert found.proven is (difference == 0)
    assert (row in found.differing) is (difference != 0)


def test_the_previous_closing_opens_the_next_year_and_rows_sort_by_number() -> None:
    first_api = {"1920": ApiBalance(D("500.00"), D("700.00")), "2050": ApiBalance(D("-500"), D(0))}
    first = trial_balance(
        2022,
        {"1920": Movement(D("200.00"), D(0)), "2050": Movement(D("500.00"), D(0))},
        api_openings(first_api),
        first_api,
    )
    assert [row.account for row in first.rows] == ["1920", "2050"]
    assert first.proven, "2050 closes at 0.00 in ours and 0 in the API: equal"
    second = trial_balance(
        2023,
        {"900": Movement(D(0), D("1.00")), "10000": Movement(D("1.00"), D(0))},
        first.closings(),
        {"1920": ApiBalance(D("700.00"), D("700.00")), "900": ApiBalance(D(0), D("-1.00"))},
    )
    assert [row.account for row in second.rows] == ["900", "1920", "2050", "10000"]
    assert _row(second.rows, "1920").opening == D("700.00")
    assert [row.account for row in second.differing] == ["10000"], "2050 is 0 on both sides"


def test_amounts_must_be_exact_decimals() -> None:
    assert exact(D("1.10")) == D("1.1")
    with pytest.raises(ValueError, match="øre"):
        exact(D("0.001"))
    with pytest.raises(ValueError, match="øre"):
        exact(D("NaN"))
    with pytest.raises(TypeError):
        exact(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="øre"):
        trial_balance(2024, {"1920": Movement(D("0.005"))}, {}, {})
    with pytest.raises(ValueError, match="negative"):
        trial_balance(2024, {"1920": Movement(D("-1.00"))}, {}, {})
