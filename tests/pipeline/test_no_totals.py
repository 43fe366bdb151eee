"""Imports that trust no total: every fullResultSize mode gives the same database, and a day above
the API's 10,000 cap is split by account number, end to end with real workers."""

from __future__ import annotations

import pytest
from pipeline_harness import Pipeline, assert_matches_truth, control, fetch

from sandbox.scenario import Scenario, build_scenario

#: the accountant's client with a year (and a month) above 10,000 postings
BIG_CLIENT = 202
#: the bigday scenario's company, with 10,500 postings on 31 December 2025
BIG_DAY_COMPANY = 301


@pytest.mark.parametrize("mode", ["lookahead", "exact", "inexact"])
async def test_every_full_result_size_gives_the_same_database(
    pipeline: Pipeline, mode: str
) -> None:
    await control(pipeline, "PATCH", "/faults", {"full_result_size": mode})
    await pipeline.start_worker(processes=1, threads=4)
    org_id = await pipeline.add_org("Regnskapskontoret", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(BIG_CLIENT))
    assert code == 0, err
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await assert_matches_truth(pipeline, org_id, BIG_CLIENT)
    split = await fetch(
        pipeline.database_url,
        "SELECT count(*) AS n FROM chunks WHERE org_id = $1 AND state = 'split'",
        org_id,
    )
    assert split[0]["n"] >= 1, "the year above 10,000 postings was split on the API's answer"


class TestADayAboveTheCap:
    @pytest.fixture
    def scenario(self) -> Scenario:
        return build_scenario("bigday", 1)

    @pytest.mark.parametrize("inclusive", [False, True], ids=["to-exclusive", "to-inclusive"])
    async def test_is_split_by_account_number_and_lands_exactly(
        self, pipeline: Pipeline, inclusive: bool
    ) -> None:
        await control(pipeline, "PATCH", "/faults", {"account_number_to_inclusive": inclusive})
        await pipeline.start_worker(processes=1, threads=4)
        org_id = await pipeline.add_org("Vinterlys", "good")
        row = await pipeline.wait_state(org_id, "synced", "needs_attention")
        assert row["state"] == "synced", row["state_reason"]
        await assert_matches_truth(pipeline, org_id, BIG_DAY_COMPANY)
        narrowed = await fetch(
            pipeline.database_url,
            "SELECT count(*) AS n FROM chunks WHERE org_id = $1 AND state = 'done'"
            " AND date_from = '2025-12-31'"
            " AND (account_from IS NOT NULL OR account_to IS NOT NULL)",
            org_id,
        )
        assert narrowed[0]["n"] >= 2, "31 December was imported in account-number ranges"
