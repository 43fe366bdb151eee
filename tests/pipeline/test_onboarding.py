"""Register -> validate -> discover -> select -> synced, end to end with real worker processes."""

from __future__ import annotations

import datetime as dt
import json

from pipeline_harness import (
    Pipeline,
    assert_matches_truth,
    company_truth,
    control,
    wait_registers,
)

from worker.tripletex.registers import REGISTERS

GOOD_COMPANY = 201
#: the accountant's client with a month above 10,000 postings
BIG_CLIENT = 202


async def test_direct_token_syncs_its_own_company_exactly(pipeline: Pipeline) -> None:
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Fjordlys", "good")
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    assert row["company_id"] == GOOD_COMPANY, "a token that reaches one company selects it"
    await assert_matches_truth(pipeline, org_id, GOOD_COMPANY)

    code, out, _ = await pipeline.ledgersync("org", "show", str(org_id), "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["company"]["id"] == GOOD_COMPANY
    years = {y["year"]: y for y in shown["years"] if y["imported"]}
    assert all(y["state"] == "synced" for y in years.values())
    assert all(y["chunks_done"] == y["chunks_total"] > 0 for y in years.values())


async def test_a_small_company_costs_one_request_per_year_and_no_probes(
    pipeline: Pipeline,
) -> None:
    await control(pipeline, "DELETE", "/counters")
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Fjordlys", "good")
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await wait_registers(pipeline, org_id)
    held = company_truth(pipeline.truth, GOOD_COMPANY)
    assert all(y["count"] < 10_000 for y in held.values())
    years = dt.date.today().year - min(int(y) for y in held) + 1  # through this year
    counted = (await control(pipeline, "GET", "/counters"))["by_endpoint"]
    assert counted == {
        "POST /v2/token/session/:create": 1,
        "GET /v2/token/session/>whoAmI": 1,
        "GET /v2/company/{id}": 1,
        "GET /v2/company/>withLoginAccess": 1,
        "GET /v2/ledger/annualAccount": 1,
        # one whole year a request, and one for postings before the first annual account
        "GET /v2/ledger/posting": years + 1,
        # the API's own balances, for each year: its changes are the sums the year is
        # reconciled with, and the year's trial balance is proven against it
        "GET /v2/balanceSheet": years,
        # the registers postings point to: one page each, once a sync
        **{"GET /v2/" + "/".join(register.path): 1 for register in REGISTERS},
    }


async def test_accountant_client_with_a_month_above_the_cap(pipeline: Pipeline) -> None:
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await pipeline.add_org("Regnskapskontoret", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    code, out, _ = await pipeline.ledgersync("org", "companies", str(org_id), "--json")
    assert code == 0
    reachable = {c["id"] for c in json.loads(out)}
    expected = {c["id"] for c in pipeline.truth["companies"] if "accountant" in c["reached_by"]}
    assert reachable == expected

    code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(BIG_CLIENT))
    assert code == 0, err
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await assert_matches_truth(pipeline, org_id, BIG_CLIENT)


async def test_selecting_an_unreachable_company_is_refused_clearly(pipeline: Pipeline) -> None:
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Regnskap", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(GOOD_COMPANY))
    assert code == 2
    assert "not reachable" in err
    assert len(err.strip().splitlines()) == 1
