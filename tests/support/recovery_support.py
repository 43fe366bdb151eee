"""Helpers for recovery tests: killing a worker's whole process tree, import progress, truth."""

from __future__ import annotations

from pipeline_harness import (
    Pipeline,
    assert_matches_live_truth,
    control,
    dead_letters,
    fetch,
    poll,
    redis_url_of,
)

#: the accountant's client with about 16,000 postings over five years (many chunks)
BIG_CLIENT = 202
NO_DEAD_LETTERS = {"chunks": 0, "onboarding": 0}


async def chunk_progress(pipeline: Pipeline, org_id: int) -> tuple[int, int]:
    """(chunks done, leaf chunks planned) of an organization."""
    rows = await fetch(
        pipeline.database_url,
        "SELECT count(*) FILTER (WHERE state = 'done') AS done,"
        " count(*) FILTER (WHERE state <> 'split') AS total FROM chunks WHERE org_id = $1",
        org_id,
    )
    return rows[0]["done"], rows[0]["total"]


async def wait_partly_done(pipeline: Pipeline, org_id: int, *, share: float = 0.2) -> None:
    """Poll until at least `share` of the planned chunks are done, and not all of them."""

    async def partly() -> bool:
        done, total = await chunk_progress(pipeline, org_id)
        assert total == 0 or done < total, "the import ended before the fault could be made"
        return total > 0 and done >= max(1, total * share)

    await poll(f"{share:.0%} of org {org_id}'s chunks done", partly)


async def start_big_client(pipeline: Pipeline) -> int:
    """The accountant's organization with the big client selected (its import under way)."""
    org_id = await pipeline.add_org("Regnskapskontoret", "accountant")
    await pipeline.wait_state(org_id, "choose_company")
    code, _, err = await pipeline.ledgersync("org", "select", str(org_id), str(BIG_CLIENT))
    assert code == 0, err
    return org_id


async def assert_imported_exactly(pipeline: Pipeline, org_id: int, company_id: int) -> None:
    """Synced; per year the database equals the sandbox (count, sums, ids); no dead letter."""
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    await assert_matches_live_truth(pipeline, org_id, company_id)
    assert await dead_letters(redis_url_of(pipeline)) == NO_DEAD_LETTERS


async def set_faults(pipeline: Pipeline, **faults: object) -> None:
    """Change some of the sandbox's fault knobs (the others stay as they are)."""
    await control(pipeline, "PATCH", "/faults", faults)
