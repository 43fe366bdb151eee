"""Exact scope (issue 17): what a file replaces is its selection period, else its first to last
transaction date, never the calendar year of its first transaction."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from saft_support import SaftWorld

from shared.saft.generate import Spec

pytestmark = pytest.mark.integration


def without_criteria(path: Path, day: str | None = None) -> Path:
    """The file without its SelectionCriteria (and every transaction dated `day`, if given)."""
    text = re.sub(
        r"\s*<SelectionCriteria>.*?</SelectionCriteria>", "", path.read_text(), flags=re.S
    )
    if day is not None:
        text = re.sub(
            r"<TransactionDate>[^<]*</TransactionDate>",
            f"<TransactionDate>{day}</TransactionDate>",
            text,
        )
    out = path.with_name(f"nocriteria-{path.name}")
    out.write_text(text)
    return out


async def test_a_file_without_selection_period_replaces_its_first_to_last_day_only(
    saft: SaftWorld,
) -> None:
    year, _ = saft.generate(Spec(transactions=12, year=2025), "year.xml")
    first = await saft.run(without_criteria(year))
    assert (first["state"], first["period_start"], first["period_end"]) == (
        "done",
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 1),
    )
    before = await saft.rows()
    one_day, written = saft.generate(Spec(transactions=3, year=2025, seed=7), "day.xml")
    status = await saft.run(without_criteria(one_day, "2025-07-15"))
    assert (status["state"], status["period_start"], status["period_end"]) == (
        "done",
        dt.date(2025, 7, 15),
        dt.date(2025, 7, 15),
    )
    rows = await saft.rows()
    kept = [r for r in before if r[2] != dt.date(2025, 7, 15)]
    assert [r for r in rows if r[2] != dt.date(2025, 7, 15)] == kept, "the rest of 2025 stays"
    assert len([r for r in rows if r[2] == dt.date(2025, 7, 15)]) == written.postings
    assert status["postings_replaced"] == len(before) - len(kept)


async def test_a_selection_period_is_the_scope_even_where_the_file_has_no_lines(
    saft: SaftWorld,
) -> None:
    year, _ = saft.generate(Spec(transactions=12, year=2025), "year.xml")
    await saft.run(without_criteria(year))
    spring, _ = saft.generate(Spec(transactions=3, year=2025, seed=7), "spring.xml")
    text = spring.read_text().replace("<PeriodEnd>12</PeriodEnd>", "<PeriodEnd>3</PeriodEnd>")
    text = re.sub(
        r"<TransactionDate>[^<]*</TransactionDate>",
        "<TransactionDate>2025-01-10</TransactionDate>",
        text,
    )
    spring.write_text(text)
    status = await saft.run(spring)
    assert (status["period_start"], status["period_end"]) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 31),
    )
    rows = await saft.rows()
    assert not [r for r in rows if dt.date(2025, 1, 11) <= r[2] <= dt.date(2025, 3, 31)]
    assert [r for r in rows if r[2] > dt.date(2025, 3, 31)], "after March stays"
