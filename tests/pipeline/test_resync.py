"""Importing again changes only what changed: redelivered chunks; re-syncs after source edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline_harness import (
    Pipeline,
    assert_matches_live_truth,
    control,
    db_now,
    dead_letters,
    fetch,
    redis_url_of,
    source_rows,
    synced_good_org,
    truth_ids,
    wait_queues_drained,
    wait_year_resynced,
)

from shared.queue import send, sender

GOOD_COMPANY = 201
#: a year of the good company with postings in every month
YEAR = 2023

CHUNKS = (
    "SELECT id, year, date_from, date_to, state, postings, deliveries, lease_owner"
    " FROM chunks WHERE org_id = $1 ORDER BY id"
)
#: every stored posting with its row version: xmin changes whenever a row is rewritten
POSTING_VERSIONS = "SELECT posting_id, xmin::text AS xmin FROM postings WHERE org_id = $1"


async def synced_org(pipeline: Pipeline) -> int:
    """A worker, and the good token's organization imported and synced exactly."""
    return await synced_good_org(pipeline, GOOD_COMPANY)


@dataclass(frozen=True)
class Snapshot:
    """What a redelivery must leave alone."""

    org: tuple[object, ...]
    years: list[tuple[object, ...]]
    chunks: dict[int, tuple[object, ...]]
    postings: dict[int, str]


async def snapshot(pipeline: Pipeline, org_id: int) -> Snapshot:
    """The organization's state, its years, its chunks and its postings' row versions."""
    url = pipeline.database_url
    org = (await fetch(url, "SELECT state, updated_at FROM organizations WHERE id = $1", org_id))[0]
    years = await fetch(
        url,
        "SELECT year, state, expected, reconcile_attempts FROM sync_years WHERE org_id = $1"
        " ORDER BY year",
        org_id,
    )
    return Snapshot(
        tuple(org),
        [tuple(y) for y in years],
        {c["id"]: tuple(c) for c in await fetch(url, CHUNKS, org_id)},
        await posting_versions(pipeline, org_id),
    )


async def posting_versions(pipeline: Pipeline, org_id: int) -> dict[int, str]:
    """Each stored posting's row version."""
    rows = await fetch(pipeline.database_url, POSTING_VERSIONS, org_id)
    return {r["posting_id"]: r["xmin"] for r in rows}


async def test_a_chunk_delivered_again_changes_nothing(pipeline: Pipeline) -> None:
    org_id = await synced_org(pipeline)
    before = await snapshot(pipeline, org_id)
    chunks = await fetch(pipeline.database_url, CHUNKS, org_id)
    done = [c["id"] for c in chunks if c["state"] == "done"]
    assert done
    assert all(c["state"] in ("done", "split") for c in chunks)
    redis_url = redis_url_of(pipeline)
    broker = sender(redis_url)

    # 1. every finished chunk delivered once more: the claim refuses them, nothing is written
    for chunk_id in done:
        send(broker, "import_chunk", chunk_id)
    await wait_queues_drained(redis_url)
    assert await snapshot(pipeline, org_id) == before

    # 2. a chunk back in `queued` (as if its first message were lost) and delivered twice at once:
    #    exactly one delivery leases and imports it, and the import rewrites no row
    chunk = max(chunks, key=lambda c: c["postings"] if c["state"] == "done" else -1)
    await fetch(
        pipeline.database_url,
        "UPDATE chunks SET state = 'queued', queued_at = now() WHERE id = $1 RETURNING id",
        chunk["id"],
    )
    send(broker, "import_chunk", chunk["id"])
    send(broker, "import_chunk", chunk["id"])
    await wait_queues_drained(redis_url)

    after = await snapshot(pipeline, org_id)
    again = next(
        c for c in await fetch(pipeline.database_url, CHUNKS, org_id) if c["id"] == chunk["id"]
    )
    assert again["state"] == "done"
    assert again["postings"] == chunk["postings"], "the chunk's count changed"
    assert again["deliveries"] == chunk["deliveries"] + 1, "both deliveries imported the chunk"
    assert after.postings == before.postings, "rows were rewritten, added or removed"
    assert (after.org, after.years) == (before.org, before.years)
    del after.chunks[chunk["id"]], before.chunks[chunk["id"]]
    assert after.chunks == before.chunks, "another chunk changed"

    duplicates = await fetch(
        pipeline.database_url,
        "SELECT count(*) - count(DISTINCT posting_id) AS n FROM postings WHERE org_id = $1",
        org_id,
    )
    assert duplicates[0]["n"] == 0
    assert await dead_letters(redis_url) == {"chunks": 0, "onboarding": 0}
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)


async def test_a_resync_follows_deletions_changes_and_additions(pipeline: Pipeline) -> None:
    org_id = await synced_org(pipeline)
    company = f"/companies/{GOOD_COMPANY}/postings"
    ids = sorted(truth_ids(pipeline.server, GOOD_COMPANY, YEAR))
    deleted, changed = ids[7], ids[len(ids) // 2]
    before = source_rows(pipeline.server, GOOD_COMPANY, YEAR)

    await control(pipeline, "DELETE", f"{company}/{deleted}")
    new_amount = before[changed][1] + Decimal("1000.25")
    await control(
        pipeline,
        "PATCH",
        f"{company}/{changed}",
        {"amount": str(new_amount), "description": "Endret i Tripletex etter importen"},
    )
    added = await control(
        pipeline,
        "POST",
        company,
        {
            "date": date(YEAR, 6, 14).isoformat(),
            "postings": [
                {"accountNumber": 1920, "amount": "4321.10", "description": "Lagt til etterpå"},
                {"accountNumber": 3000, "amount": "-4321.10", "description": "Lagt til etterpå"},
            ],
        },
    )
    assert len(added["postings"]) == 2

    since = await db_now(pipeline.database_url)
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", str(YEAR))
    assert code == 0, err
    row = await wait_year_resynced(pipeline, org_id, YEAR, since)
    assert row["org_state"] == "synced", row["state_reason"]
    assert row["year_state"] == "synced"

    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)
    stored = await fetch(
        pipeline.database_url,
        "SELECT posting_id, amount, description FROM postings WHERE org_id = $1"
        " AND posting_id = ANY($2::bigint[])",
        org_id,
        [deleted, changed, *added["postings"]],
    )
    found = {r["posting_id"]: (r["amount"], r["description"]) for r in stored}
    assert deleted not in found
    assert found[changed] == (new_amount, "Endret i Tripletex etter importen")
    assert {found[pid][0] for pid in added["postings"]} == {Decimal("4321.10"), Decimal("-4321.10")}
    assert await dead_letters(redis_url_of(pipeline)) == {"chunks": 0, "onboarding": 0}


async def test_a_resync_with_nothing_changed_rewrites_nothing(pipeline: Pipeline) -> None:
    org_id = await synced_org(pipeline)
    versions = await posting_versions(pipeline, org_id)

    since = await db_now(pipeline.database_url)
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", str(YEAR))
    assert code == 0, err
    row = await wait_year_resynced(pipeline, org_id, YEAR, since)
    assert row["org_state"] == "synced", row["state_reason"]

    chunks = await fetch(
        pipeline.database_url,
        "SELECT state, finished_at > $3 AS again FROM chunks WHERE org_id = $1 AND year = $2",
        org_id,
        YEAR,
        since,
    )
    assert chunks
    assert all(c["again"] for c in chunks if c["state"] != "split")
    assert all(c["state"] in ("done", "split") for c in chunks)
    assert await posting_versions(pipeline, org_id) == versions, "unchanged rows were rewritten"
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)
