"""Generated data: determinism, scenario contents, aggregates against postings, paging, overlay."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from itertools import chain

import pytest

from sandbox.ledger import Ledger
from sandbox.overlay import Patch, PostingSpec
from sandbox.scenario import Scenario, build_scenario
from sandbox.truth import describe


def _day(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _month_totals(ledger: Ledger) -> dict[tuple[int, int], int]:
    found = {}
    for year in ledger.data_years:
        for month in range(1, 13):
            first = date(year, month, 1)
            stop = date(year + month // 12, month % 12 + 1, 1)
            found[year, month] = ledger.totals(first.toordinal(), stop.toordinal()).postings
    return found


def test_same_seed_same_truth_other_seed_other_truth() -> None:
    first = describe(build_scenario("small", 1))
    assert first == describe(build_scenario("small", 1))
    other = describe(build_scenario("small", 2))
    assert other != first
    assert other["tokens"] != first["tokens"]


def test_truth_has_the_contract_shape(small_scenario: Scenario) -> None:
    truth = describe(small_scenario)
    assert set(truth) == {"consumer_token", "tokens", "companies"}
    assert set(truth["tokens"]) == {
        "good",
        "accountant",
        "integrations_off",
        "not_shared",
        "no_ledger_access",
        "expired",
    }
    for company in truth["companies"]:
        assert set(company) == {"id", "name", "organizationNumber", "reached_by", "years"}
        for totals in company["years"].values():
            debit, credit = Decimal(totals["debit"]), Decimal(totals["credit"])
            assert totals["debit"] == f"{debit:.2f}"
            assert totals["credit"] == f"{credit:.2f}"
            assert debit == -credit
            assert (totals["count"] == 0) == (debit == 0)


def test_small_scenario_has_every_feature_with_few_postings(small_scenario: Scenario) -> None:
    truth = describe(small_scenario)
    counts = [y["count"] for c in truth["companies"] for y in c["years"].values()]
    assert sum(counts) <= 40_000
    assert 0 in counts, "an empty year with an annual account"
    accountant = small_scenario.token("accountant")
    assert len(accountant.clients) >= 3
    busy = [
        total
        for company in small_scenario.companies
        for total in _month_totals(Ledger(company, 1)).values()
        if total > 10_000
    ]
    assert busy, "one month above the 10,000 cap"
    assert max(busy) < 12_000
    names = " ".join(c.name for c in small_scenario.companies)
    assert any(ch in names for ch in "æøåÆØÅ")


def test_demo_has_a_ten_year_company_with_an_empty_year_and_a_busy_month() -> None:
    demo = build_scenario("demo", 1)
    ledger = next(
        Ledger(c, 1) for c in demo.companies if len(c.years) >= 10 and c.target(c.years[4]) == 0
    )
    assert max(_month_totals(ledger).values()) > 10_000
    assert len(demo.token("accountant").clients) >= 3


def test_bench_sizes_and_zero_start_up_cost() -> None:
    started = time.perf_counter()
    bench = build_scenario("bench", 1, companies=50, postings=20_000, years=4)
    assert time.perf_counter() - started < 0.5
    assert len(bench.token("accountant").clients) == 50
    huge = Ledger(build_scenario("bench", 1, postings=5_000_000).companies[0], 1)
    year = huge.data_years[0]
    assert 400_000 < huge.year_totals(year).postings < 600_000
    with pytest.raises(ValueError, match="unknown scenario"):
        build_scenario("nope")
    with pytest.raises(ValueError, match="no size"):
        build_scenario("small", 1, companies=3)


def test_aggregates_match_the_postings_and_pages_are_ordered(small_scenario: Scenario) -> None:
    ledger = Ledger(small_scenario.companies[0], small_scenario.seed)
    first, stop = _day("2023-03-01"), _day("2023-05-01")
    everything = [p for o in range(first, stop) for e in ledger.entries(o) for p in e.postings]
    totals = ledger.totals(first, stop)
    assert totals.postings == len(everything)
    assert totals.debit == sum(p.amount for p in everything if p.amount > 0)
    assert totals.credit == -totals.debit
    for size in (1, 97, 1000):
        paged = list(
            chain.from_iterable(
                ledger.postings(first, stop, start, size)
                for start in range(0, len(everything) + 1, size)
            )
        )
        assert [p.id for p in paged] == [p.id for p in everything]
    keys = [(p.date, p.voucher.number, p.row, p.id) for p in everything]
    assert keys == sorted(keys)
    assert len({p.id for p in everything}) == len(everything)


def test_vouchers_balance_and_numbers_restart_each_year(small_scenario: Scenario) -> None:
    ledger = Ledger(small_scenario.companies[0], small_scenario.seed)
    for year in (2022, 2023):
        first = _day(f"{year}-01-01")
        entries = ledger.vouchers(first, _day(f"{year + 1}-01-01"), 0, 10_000)
        assert [e.voucher.number for e in entries] == list(range(1, len(entries) + 1))
        assert all(sum(p.amount for p in e.postings) == 0 for e in entries)
        assert all(2 <= len(e.postings) <= 6 for e in entries)
    foreign = [
        p
        for o in range(_day("2023-01-01"), _day("2024-01-01"))
        for e in ledger.entries(o)
        for p in e.postings
        if p.currency.code != "NOK"
    ]
    assert foreign
    assert all(p.amount_currency != p.amount for p in foreign)


def test_overlay_add_change_delete(small_scenario: Scenario) -> None:
    ledger = Ledger(small_scenario.companies[0], small_scenario.seed)
    day = _day("2023-06-01")
    before = ledger.year_totals(2023)
    entry = ledger.add(day, [PostingSpec(1920, 10_000), PostingSpec(3000, -10_000)])
    assert entry.voucher.number == ledger.year(2023).vouchers_before[-1] + 1
    assert ledger.year_totals(2023).postings == before.postings + 2
    assert ledger.posting(entry.postings[0].id) == entry.postings[0]
    victim = ledger.entries(day)[0].postings[0]
    changed = ledger.change(victim.id, Patch(amount=victim.amount + 100, description="Endret"))
    assert changed is not None
    assert (changed.version, changed.amount, changed.description) == (
        1,
        victim.amount + 100,
        "Endret",
    )
    assert ledger.delete(entry.postings[1].id)
    assert ledger.posting(entry.postings[1].id) is None
    after = ledger.year_totals(2023)
    assert after.postings == before.postings + 1
    assert after.debit == before.debit + 10_000 + (100 if victim.amount > 0 else 0)
    assert not ledger.delete(entry.postings[1].id)
    assert ledger.change(123, Patch(amount=1)) is None


def test_ids_increase_along_the_default_order_in_every_company(small_scenario: Scenario) -> None:
    for company in small_scenario.companies:
        ledger = Ledger(company, small_scenario.seed)
        for year in ledger.data_years:
            first, stop = _day(f"{year}-01-01"), _day(f"{year + 1}-01-01")
            day = first + 40
            ledger.add(day, [PostingSpec(1920, 500), PostingSpec(3000, -500)])
            ledger.add(day, [PostingSpec(1920, 700), PostingSpec(3000, -700)])
            postings = ledger.postings(first, stop, 0, 100_000)
            ids = [p.id for p in postings]
            assert ids == sorted(set(ids))
            vouchers = [e.voucher.id for e in ledger.vouchers(first, stop, 0, 100_000)]
            assert vouchers == sorted(set(vouchers))
