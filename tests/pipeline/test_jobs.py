"""On-call, end to end: failures recorded, retried by cause, retried by an operator, recovered.

Real worker processes against the sandbox over HTTP; each test ends with the database equal to
the sandbox's truth (count, debit and credit sums, posting ids per year).
"""

from __future__ import annotations

import json
from typing import Any

from pipeline_harness import (
    Pipeline,
    assert_matches_live_truth,
    control,
    db_now,
    fetch,
    poll,
    wait_year_resynced,
)

GOOD_COMPANY = 201
#: an accountant's small client
SMALL_CLIENT = 204
YEAR = 2023
FAST_RETRIES = {"LEDGERSYNC_JOB_RETRIES": "1", "LEDGERSYNC_JOB_BACKOFF_MS": "100"}


async def jobs_json(pipeline: Pipeline, *args: str) -> list[dict[str, Any]]:
    """`ledgersync jobs list --json …`."""
    code, out, err = await pipeline.ledgersync("jobs", "list", "--json", *args)
    assert code == 0, err
    found: list[dict[str, Any]] = json.loads(out)
    return found


async def synced_org(pipeline: Pipeline, name: str, label: str, company: int | None = None) -> int:
    """An organization imported completely (its company selected when the token has several)."""
    org_id = await pipeline.add_org(name, label)
    if company is not None:
        await pipeline.wait_state(org_id, "choose_company")
        code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(company))
        assert code == 0, err
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    return org_id


async def test_an_access_error_is_recorded_as_permanent_at_once(pipeline: Pipeline) -> None:
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Utløpt AS", "expired")
    row = await pipeline.wait_state(org_id, "needs_attention", "synced")
    assert row["state"] == "needs_attention"

    [job] = await jobs_json(pipeline)
    assert {k: job[k] for k in ("actor", "org_id", "state", "attempts", "stop_reason")} == {
        "actor": "validate_token",
        "org_id": org_id,
        "state": "failed",
        "attempts": 1,
        "stop_reason": "permanent",
    }
    assert job["error"] == row["state_reason"], "the job says what the checks said"
    assert pipeline.token("expired") not in json.dumps(job)
    attempts = await fetch(pipeline.database_url, "SELECT outcome FROM job_attempts")
    assert [a["outcome"] for a in attempts] == ["permanent"], "never retried"
    code, out, err = await pipeline.ledgersync("jobs", "show", str(job["id"]))
    assert code == 0, err
    assert "State: failed (permanent), 1 attempt(s) failed" in out
    assert "Traceback" in out
    assert "PermanentJobError" in out
    assert pipeline.token("expired") not in out

    code, _, err = await pipeline.ledgersync(
        "org", "token", str(org_id), "--token-stdin", stdin=pipeline.token("good")
    )
    assert code == 0, err
    row = await pipeline.wait_state(org_id, "synced")
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)
    [resolved] = await jobs_json(pipeline, "--state", "resolved")
    assert resolved["id"] == job["id"], "the same job succeeding later resolves it"
    assert await jobs_json(pipeline) == []


async def test_transient_failures_are_retried_and_resolved_when_the_fault_goes(
    pipeline: Pipeline,
) -> None:
    pipeline.env["LEDGERSYNC_JOB_BACKOFF_MS"] = "300"
    await pipeline.start_worker(processes=1, threads=4)
    org_id = await synced_org(pipeline, "Fjordlys", "good")

    await control(pipeline, "PATCH", "/faults", {"error_share": 1.0})
    since = await db_now(pipeline.database_url)
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", str(YEAR))
    assert code == 0, err

    async def chunks_retrying() -> list[dict[str, Any]]:
        # the registers' refresh of the same sync fails and retries beside them
        retrying = await jobs_json(pipeline, "--state", "retrying")
        return [j for j in retrying if j["actor"] == "import_chunk"]

    failing = await poll("a chunk job waiting for its retry", chunks_retrying)
    assert all(j["year"] == YEAR for j in failing)
    assert all(j["attempts"] >= 1 and j["error"] for j in failing)
    await control(pipeline, "PATCH", "/faults", {"error_share": 0.0})

    row = await wait_year_resynced(pipeline, org_id, YEAR, since)
    assert row["org_state"] == "synced", row["state_reason"]
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)
    resolved = {j["id"] for j in await jobs_json(pipeline, "--state", "resolved")}
    assert {j["id"] for j in failing} <= resolved
    assert await jobs_json(pipeline) == [], "nothing left failed or retrying"


async def test_retry_all_of_one_organization_recovers_it_and_leaves_the_other_failed(
    pipeline: Pipeline,
) -> None:
    pipeline.env.update(FAST_RETRIES)
    await pipeline.start_worker(processes=1, threads=4)
    org_a = await synced_org(pipeline, "Fjordlys", "good")
    org_b = await synced_org(pipeline, "Regnskapskontoret", "accountant", SMALL_CLIENT)

    # Tripletex fails for longer than the retries last: both re-syncs fail for good
    await control(pipeline, "PATCH", "/faults", {"error_share": 1.0})
    for org_id, year in ((org_a, YEAR), (org_b, 2024)):
        code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", str(year))
        assert code == 0, err
    for org_id in (org_a, org_b):
        row = await pipeline.wait_state(org_id, "needs_attention")
        assert "jobs list" in row["state_reason"]

    async def settled(ref: str) -> list[dict[str, Any]]:
        """The organization's jobs once none is still retrying: the chunks end the sync, and the
        registers' refresh beside them may take its last retry a moment later."""
        found = await jobs_json(pipeline, "--org", ref)
        return found if found and all(j["state"] != "retrying" for j in found) else []

    failed_a = await poll("A's jobs to stop retrying", lambda: settled(str(org_a)))
    failed_b = await poll("B's jobs to stop retrying", lambda: settled("Regnskapskontoret"))
    assert all(j["state"] == "failed" for j in failed_a + failed_b)
    assert all(j["stop_reason"] == "retries_exhausted" for j in failed_a + failed_b)
    assert all(j["attempts"] == 2 for j in failed_a + failed_b), "the first try and one retry"

    await control(pipeline, "PATCH", "/faults", {"error_share": 0.0})
    code, out, err = await pipeline.ledgersync("jobs", "retry", "--all", "--org", str(org_a))
    assert code == 0, err
    assert f"Retried {len(failed_a)} job(s) of {org_a}" in out

    row = await pipeline.wait_state(org_a, "synced")
    await assert_matches_live_truth(pipeline, org_a, GOOD_COMPANY)
    assert await jobs_json(pipeline, "--org", str(org_a)) == []
    still = await jobs_json(pipeline, "--org", str(org_b))
    assert [(j["id"], j["state"]) for j in still] == [(j["id"], "failed") for j in failed_b]
    assert (
        await fetch(pipeline.database_url, "SELECT state FROM organizations WHERE id = $1", org_b)
    )[0]["state"] == "needs_attention"
    await assert_matches_live_truth(pipeline, org_b, SMALL_CLIENT)  # nothing of B was lost
    audit = await fetch(
        pipeline.database_url,
        "SELECT action, org_id, detail FROM audit_log WHERE action = 'job.retry' ORDER BY id",
    )
    assert sorted(a["detail"]["job_id"] for a in audit) == sorted(j["id"] for j in failed_a)
    assert {a["org_id"] for a in audit} == {org_a}


async def test_retrying_an_unknown_job_is_bad_input(pipeline: Pipeline) -> None:
    code, out, err = await pipeline.ledgersync("jobs", "retry", "4242")
    assert code == 2
    assert out == ""
    assert err.strip() == "No job 4242; `ledgersync jobs list --state all` shows them."
    code, _, err = await pipeline.ledgersync("jobs", "retry")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
