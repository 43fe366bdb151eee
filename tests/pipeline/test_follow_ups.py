"""Follow-up steps cannot be lost or doubled: the outbox sends what a dead worker committed, and
one plan runs per organization however many plan messages arrive (issue 15)."""

from __future__ import annotations

import json
import time

from pipeline_harness import Pipeline, assert_matches_truth, poll, redis_url_of

from shared.queue import send, sender

GOOD_COMPANY = 201


def events(pipeline: Pipeline, name: str) -> list[dict[str, object]]:
    """Every JSON log line of every worker started so far with this event name."""
    found = []
    for path in pipeline.logs.values():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                entry = json.loads(line)
                if entry.get("event") == name:
                    found.append(entry)
    return found


async def test_a_worker_dead_between_commit_and_send_is_followed_within_seconds(
    pipeline: Pipeline,
) -> None:
    dying = pipeline.env | {"LEDGERSYNC_TEST_CRASH_AFTER_COMMIT": "reconcile_year"}
    first = await pipeline.start_worker(env=dying)
    org_id = await pipeline.add_org("Fjordlys", "good")

    async def died() -> bool:
        return first.returncode is not None or "this worker process dies now" in pipeline.log_of(
            first
        )

    await poll("the first worker to die after a commit", died, within=120)
    await pipeline.stop_workers()  # its line would restart it, to die again the same way
    started = time.monotonic()
    await pipeline.start_worker()  # no scheduler: only the outbox's relay can send the step
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await assert_matches_truth(pipeline, org_id, GOOD_COMPANY)
    assert events(pipeline, "outbox_relayed"), "the committed step was sent by the relay"
    # far below the scheduler's 300-s sweep: the relay runs about once a second
    assert time.monotonic() - started < 120


async def test_two_plans_at_once_end_in_one_plan_and_one_reconciliation_a_year(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await pipeline.add_org("Fjordlys", "good")
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    planned_before = len(events(pipeline, "sync_planned"))
    reconciled_before = len(events(pipeline, "year_reconciled"))

    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id))
    assert code == 0, err
    broker = sender(redis_url_of(pipeline))
    try:  # the same request delivered twice at once, as a redelivery or a sweep would
        send(broker, "plan_sync", org_id)
    finally:
        broker.close()

    async def settled() -> bool:
        return len(events(pipeline, "sync_planned")) + len(events(pipeline, "plan_covered")) >= (
            planned_before + 2
        )

    await poll("both plan messages handled", settled, within=60)
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    assert len(events(pipeline, "sync_planned")) == planned_before + 1
    assert len(events(pipeline, "plan_covered")) == 1
    await assert_matches_truth(pipeline, org_id, GOOD_COMPANY)
    again = events(pipeline, "year_reconciled")[reconciled_before:]
    years = [entry["year"] for entry in again]
    assert sorted(years) == sorted(set(years)), f"a year reconciled twice: {years}"
