"""`ledgersync check ORG --json` against the sandbox: the right first failure for every token class.

Organizations are registered through the command line without workers (they stay `validating`,
which is all the checks need); the last test runs a worker, revokes the token after an import,
and finds the organization needing attention with the checks already run and stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pipeline_harness import Pipeline, control, fetch

from shared.checks import ORDER, CheckName

#: both causes a 422 on `arg:employeeToken` may have, which the check must name
BOTH_CAUSES = ("expired or revoked", "another application")


async def check_json(pipeline: Pipeline, org_id: int) -> tuple[int, list[dict[str, Any]], str]:
    """Run `check ORG --json`: exit code, the results, and stdout+stderr (for leak checks)."""
    code, out, err = await pipeline.ledgersync("check", str(org_id), "--json")
    assert code in (0, 1), err
    return code, json.loads(out), out + err


def assert_first_failure(results: list[dict[str, Any]], name: CheckName) -> dict[str, Any]:
    """`name` is the first check that fails, and every later check skips; the failing result."""
    assert [r["name"] for r in results] == [n.value for n in ORDER], "every check, in run order"
    statuses = [r["status"] for r in results]
    first = statuses.index("fail")
    assert results[first]["name"] == name.value, results[first]
    assert all(s == "skip" for s in statuses[first + 1 :]), statuses
    assert all(s in ("pass", "skip") for s in statuses[:first]), statuses
    return results[first]


@pytest.mark.parametrize("label", ["good", "accountant"])
async def test_good_and_accountant_tokens_pass_every_check(pipeline: Pipeline, label: str) -> None:
    org_id = await pipeline.add_org(f"Org {label}", label)

    code, results, output = await check_json(pipeline, org_id)

    assert code == 0
    assert [r["status"] for r in results] == ["pass"] * len(ORDER), results
    assert all(isinstance(r["message"], str) and r["message"] for r in results)
    assert pipeline.token(label) not in output
    assert pipeline.truth["consumer_token"] not in output


@pytest.mark.parametrize(
    ("label", "first", "words"),
    [
        ("integrations_off", CheckName.INTEGRATIONS_ADDON, ("Integrations add-on",)),
        ("not_shared", CheckName.EMPLOYEE_TOKEN, BOTH_CAUSES),
        ("expired", CheckName.EMPLOYEE_TOKEN, BOTH_CAUSES),
        ("no_ledger_access", CheckName.LEDGER_ACCESS, ("access to the ledger",)),
    ],
)
async def test_each_broken_token_fails_its_own_check_first(
    pipeline: Pipeline, label: str, first: CheckName, words: tuple[str, ...]
) -> None:
    org_id = await pipeline.add_org(f"Org {label}", label)

    code, results, output = await check_json(pipeline, org_id)

    assert code == 1
    failed = assert_first_failure(results, first)
    assert all(word in failed["message"] for word in words), failed["message"]
    assert failed["help"], "the customer gets a page to follow"
    assert pipeline.token(label) not in output


async def test_the_add_on_and_shared_checks_around_a_rejected_token(pipeline: Pipeline) -> None:
    org_id = await pipeline.add_org("Not shared", "not_shared")
    _, results, _ = await check_json(pipeline, org_id)
    by_name = {r["name"]: r for r in results}
    assert by_name["integrations_addon"]["status"] == "skip", "unknown for a rejected token"
    assert by_name["token_shared"]["status"] == "skip", "the token check named both causes"
    assert "Share the employee token with a third party" in by_name["employee_token"]["help"]


async def test_a_mistyped_token_is_caught_locally(pipeline: Pipeline) -> None:
    truncated = pipeline.token("good")[:-7]
    code, out, err = await pipeline.ledgersync(
        "org", "add", "Mistyped", "--method", "api", "--token-stdin", stdin=truncated
    )
    assert code == 0, err
    code, results, output = await check_json(pipeline, int(out))

    assert code == 1
    failed = assert_first_failure(results, CheckName.EMPLOYEE_TOKEN)
    assert "not valid base64" in failed["message"]
    assert truncated not in output


async def test_a_missing_consumer_token_fails_before_any_call(pipeline: Pipeline) -> None:
    org_id = await pipeline.add_org("No consumer", "good")
    del pipeline.env["LEDGERSYNC_CONSUMER_TOKEN"]

    code, results, _ = await check_json(pipeline, org_id)

    assert code == 1
    failed = assert_first_failure(results, CheckName.CONSUMER_TOKEN)
    assert "LEDGERSYNC_CONSUMER_TOKEN" in failed["message"]
    assert pipeline.server.state.counters.total == 0, "Tripletex was not called"


async def test_readable_checklist_unknown_org_and_stored_runs(pipeline: Pipeline) -> None:
    org_id = await pipeline.add_org("Readable", "no_ledger_access")
    code, out, _ = await pipeline.ledgersync("check", "Readable")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("✓ ")
    assert any(line.startswith("✗ Access to the ledger: ") for line in lines)
    assert lines[-1].startswith("– ")
    assert any(line.startswith("    Help: ") for line in lines)

    code, out, err = await pipeline.ledgersync("check", "Nobody")
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1

    runs = await fetch(
        pipeline.database_url,
        "SELECT triggered_by, first_failure, results FROM check_runs WHERE org_id = $1",
        org_id,
    )
    assert [(r["triggered_by"], r["first_failure"]) for r in runs] == [("command", "ledger_access")]


async def test_a_token_revoked_after_an_import_needs_attention_with_checks_run(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Revoked later", "good")
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]

    await control(pipeline, "POST", "/tokens/good/revoke")
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id))
    assert code == 0, err
    row = await pipeline.wait_state(org_id, "needs_attention")

    runs = await fetch(
        pipeline.database_url,
        "SELECT triggered_by, first_failure, results FROM check_runs WHERE org_id = $1",
        org_id,
    )
    assert [(r["triggered_by"], r["first_failure"]) for r in runs] == [
        ("access_error", "employee_token")
    ]
    failed = assert_first_failure(runs[0]["results"], CheckName.EMPLOYEE_TOKEN)
    assert row["state_reason"] == failed["message"]
    assert all(word in row["state_reason"] for word in BOTH_CAUSES)
