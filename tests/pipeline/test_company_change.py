"""A company change under a running sync (issue 16): only the new company's postings remain, id
sets included, and no chunk of the old company lands afterwards. Real workers and sandbox."""

from __future__ import annotations

import asyncio

from pipeline_harness import Pipeline, assert_matches_truth, company_truth

from shared.db import connect

#: the accountant's client with a month above 10,000 postings: a sync that takes a while
BIG_CLIENT = 202


async def _postings(pipeline: Pipeline, org_id: int) -> int:
    conn = await connect(pipeline.database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM postings WHERE org_id = $1", org_id))
    finally:
        await conn.close()


async def test_a_company_change_under_a_running_sync_keeps_only_the_new_company(
    pipeline: Pipeline,
) -> None:
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await pipeline.add_org("Regnskapskontoret", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    code, _, err = await pipeline.ledgersync("org", "select", f"#{org_id}", str(BIG_CLIENT))
    assert code == 0, err
    for _ in range(600):  # until the first postings of the big client have landed
        if await _postings(pipeline, org_id):
            break
        await asyncio.sleep(0.1)
    other = next(
        c["id"]
        for c in pipeline.truth["companies"]
        if "accountant" in c["reached_by"]
        and c["id"] != BIG_CLIENT
        and company_truth(pipeline.truth, c["id"])
    )

    code, _, err = await pipeline.ledgersync("org", "select", f"#{org_id}", str(other))
    assert code == 2
    assert "--replace" in err
    assert await _postings(pipeline, org_id) > 0, "refused: nothing removed"

    code, out, err = await pipeline.ledgersync(
        "org", "select", f"#{org_id}", str(other), "--replace"
    )
    assert code == 0, err
    assert f"(#{org_id})" in out.splitlines()[0]
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    assert row["company_id"] == other
    await asyncio.sleep(2)  # any chunk of the old company still in flight has had its chance
    await assert_matches_truth(pipeline, org_id, other)
    conn = await connect(pipeline.database_url)
    try:
        stale = await conn.fetchval(
            "SELECT count(*) FROM chunks WHERE org_id = $1 AND company_id IS DISTINCT FROM $2",
            org_id,
            other,
        )
    finally:
        await conn.close()
    assert stale == 0
