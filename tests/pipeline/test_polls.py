"""Checksum polls keep a synced organization equal to the sandbox by polling alone (issue 21)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pipeline_harness import (
    Pipeline,
    assert_matches_live_truth,
    control,
    fetch,
    poll,
    redis_url_of,
    source_rows,
    synced_good_org,
    truth_ids,
    wait_queues_drained,
)

from shared.queue import send, sender
from worker.freshness.ranges import PollRange, in_nightly_pass, is_recent
from worker.tripletex.protocol import oslo_today

GOOD_COMPANY = 201
#: a year of the good company with postings in every month
YEAR = 2023
POSTING_VERSIONS = "SELECT posting_id, xmin::text AS xmin FROM postings WHERE org_id = $1"
YEARS = "SELECT year, state, started_at, finished_at FROM sync_years WHERE org_id = $1"
RANGES = "SELECT date_from, date_to, digest, content_hash FROM poll_ranges WHERE org_id = $1"


async def synced_org(pipeline: Pipeline) -> int:
    """A worker, and the good token's organization imported and synced exactly."""
    return await synced_good_org(pipeline, GOOD_COMPANY)


async def polled(
    pipeline: Pipeline, org_id: int, *, nightly: bool, full: bool = False
) -> dict[str, Any]:
    """Send one poll, wait until it and all it set off are done; the sandbox's requests meanwhile
    ({"total", "by_status", "by_endpoint"} differences)."""
    before = await control(pipeline, "GET", "/counters")
    send(sender(redis_url_of(pipeline)), "poll_org", org_id, nightly, full)
    await wait_queues_drained(redis_url_of(pipeline))
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]
    after = await control(pipeline, "GET", "/counters")
    return {
        "total": after["total"] - before["total"],
        **{
            key: {
                k: v - before[key].get(k, 0)
                for k, v in after[key].items()
                if v != before[key].get(k, 0)
            }
            for key in ("by_status", "by_endpoint")
        },
    }


async def ranges_of(pipeline: Pipeline, org_id: int) -> list[PollRange]:
    """The organization's polled ranges."""
    rows = await fetch(pipeline.database_url, RANGES, org_id)
    return [PollRange(r["date_from"], r["date_to"]) for r in rows]


async def test_an_idle_poll_costs_one_request_per_range_and_changes_nothing(
    pipeline: Pipeline,
) -> None:
    org_id = await synced_org(pipeline)
    # records every range: nothing imported
    first = await polled(pipeline, org_id, nightly=True, full=True)
    ranges = await ranges_of(pipeline, org_id)
    assert ranges
    recent = [r for r in ranges if is_recent(r, oslo_today())]
    url = pipeline.database_url
    postings, years = await fetch(url, POSTING_VERSIONS, org_id), await fetch(url, YEARS, org_id)
    stored = await fetch(url, RANGES, org_id)

    idle = await polled(pipeline, org_id, nightly=False)
    assert idle["total"] == len(recent), f"one request per recent range: {idle}"
    assert idle["by_status"] == ({"304": len(recent)} if recent else {})
    tonight = [r for r in ranges if in_nightly_pass(r, oslo_today())]
    assert {r.year for r in tonight} >= {oslo_today().year - 1} & {r.year for r in ranges}
    night = await polled(pipeline, org_id, nightly=True)
    assert night["by_endpoint"].get("GET /v2/ledger/voucher", 0) == len(tonight), night
    assert night["by_status"].get("304") == len(tonight), "every range unchanged: 304"

    assert await fetch(url, POSTING_VERSIONS, org_id) == postings, "a posting was rewritten"
    assert await fetch(url, YEARS, org_id) == years, "a year was opened again"
    assert await fetch(url, RANGES, org_id) == stored
    freshness = (await fetch(url, "SELECT * FROM freshness WHERE org_id = $1", org_id))[0]
    assert freshness["checksums"] == "supported"
    assert freshness["last_change_at"] is None
    assert freshness["nightly_done_at"] is not None
    print(  # the figures for the report (run with -s)
        f"\nranges {len(ranges)} (recent {len(recent)}); first nightly pass {first}; "
        f"idle poll {idle}; idle nightly pass {night}"
    )


async def change_the_source(pipeline: Pipeline) -> dict[str, Any]:
    """A voucher created, one's amount changed, one's posting removed, one deleted whole."""
    company = f"/companies/{GOOD_COMPANY}/postings"
    rows = source_rows(pipeline.server, GOOD_COMPANY, YEAR)
    by_voucher: dict[int, list[int]] = {}
    for pid, row in sorted(rows.items()):
        by_voucher.setdefault(row[4], []).append(pid)
    many = [v for v, ids in by_voucher.items() if len(ids) >= 3]
    shrunk, whole, changed_voucher = many[3], many[len(many) // 2], many[-5]
    changed = by_voucher[changed_voucher][0]
    await control(pipeline, "DELETE", f"{company}/{by_voucher[shrunk][0]}")
    for pid in by_voucher[whole]:
        await control(pipeline, "DELETE", f"{company}/{pid}")
    await control(
        pipeline,
        "PATCH",
        f"{company}/{changed}",
        {"amount": str(rows[changed][1] + Decimal("7.5"))},
    )
    return await control(
        pipeline,
        "POST",
        company,
        {
            "date": date(YEAR, 9, 14).isoformat(),
            "postings": [
                {"accountNumber": 1920, "amount": "1234.50", "description": "Ny etter importen"},
                {"accountNumber": 3000, "amount": "-1234.50", "description": "Ny etter importen"},
            ],
        },
    )


async def test_created_changed_and_deleted_vouchers_reach_postgres_by_polling_alone(
    pipeline: Pipeline,
) -> None:
    org_id = await synced_org(pipeline)
    await polled(pipeline, org_id, nightly=True, full=True)
    added = await change_the_source(pipeline)

    await polled(pipeline, org_id, nightly=True, full=True)
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)
    assert set(added["postings"]) <= truth_ids(pipeline.server, GOOD_COMPANY, YEAR)
    freshness = (
        await fetch(pipeline.database_url, "SELECT * FROM freshness WHERE org_id = $1", org_id)
    )[0]
    assert freshness["last_change_source"] == "nightly"
    assert "vouchers changed" in freshness["last_change_what"]
    assert freshness["checksums"] == "supported"
    changed = await fetch(
        pipeline.database_url,
        "SELECT year FROM poll_ranges WHERE org_id = $1 AND changed_at IS NOT NULL",
        org_id,
    )
    assert {r["year"] for r in changed} == {YEAR}, "only the changed year's ranges changed"


async def test_without_checksums_our_own_hash_finds_the_changes(pipeline: Pipeline) -> None:
    await control(pipeline, "PATCH", "/faults", {"checksum_unsupported": ["/ledger/voucher"]})
    org_id = await synced_org(pipeline)
    await polled(pipeline, org_id, nightly=True, full=True)
    again = await polled(pipeline, org_id, nightly=True, full=True)
    assert "304" not in again["by_status"], "no checksums: every probe a full answer"
    url = pipeline.database_url
    assert (await fetch(url, "SELECT checksums FROM freshness WHERE org_id = $1", org_id))[0][
        "checksums"
    ] == "unsupported"
    assert (await fetch(url, "SELECT last_change_at FROM freshness WHERE org_id = $1", org_id))[0][
        "last_change_at"
    ] is None, "unchanged by our own hash: nothing imported"

    await change_the_source(pipeline)
    await polled(pipeline, org_id, nightly=True, full=True)
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)


async def test_the_scheduler_sends_polls_on_its_interval(pipeline: Pipeline) -> None:
    org_id = await synced_org(pipeline)
    await pipeline.start_scheduler("--poll-interval", "1", requeue_after=300.0, tick=0.3)
    url = pipeline.database_url

    async def checked_twice() -> bool:
        rows = await fetch(url, "SELECT recent_checked_at FROM freshness WHERE org_id = $1", org_id)
        if not rows or rows[0]["recent_checked_at"] is None:
            return False
        seen.add(rows[0]["recent_checked_at"])
        return len(seen) >= 2

    seen: set[Any] = set()
    await poll("two polls sent by the scheduler", checked_twice, within=60)
    nightly = await fetch(url, "SELECT nightly_due_at FROM freshness WHERE org_id = $1", org_id)
    assert nightly[0]["nightly_due_at"] is not None, "its first night is set"


async def _reconcile_differing(pipeline: Pipeline, org_id: int, *, refreshing: bool) -> Any:
    """The year reconciled after its last retry, with one of our postings off by 1.00 (as when
    Tripletex changed it again while it was imported); the year's row once settled."""
    await fetch(
        pipeline.database_url,
        "UPDATE postings SET amount = amount + 1 WHERE posting_id = (SELECT min(posting_id)"
        " FROM postings WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3)",
        org_id,
        date(YEAR, 1, 1),
        date(YEAR + 1, 1, 1),
    )
    await fetch(
        pipeline.database_url,
        "UPDATE sync_years SET state = 'reconciling', reconcile_attempts = 1, refreshing = $3"
        " WHERE org_id = $1 AND year = $2",
        org_id,
        YEAR,
        refreshing,
    )
    send(sender(redis_url_of(pipeline)), "reconcile_year", org_id, YEAR)

    async def settled() -> list[Any]:
        rows = await fetch(
            pipeline.database_url,
            "SELECT state, difference, proven FROM sync_years WHERE org_id = $1 AND year = $2",
            org_id,
            YEAR,
        )
        return rows if rows[0]["state"] != "reconciling" else []

    return (await poll("the year to be settled", settled))[0]


async def test_a_refreshed_year_that_changed_again_stays_synced_for_the_next_poll(
    pipeline: Pipeline,
) -> None:
    """A refresh's mismatch after its retry does not fail the organization (that would stop the
    polls that mend it): the year is synced, not proven, with what differs."""
    org_id = await synced_org(pipeline)
    year = await _reconcile_differing(pipeline, org_id, refreshing=True)
    assert year["state"] == "synced"
    assert year["proven"] is False
    assert "differ from Tripletex" in year["difference"]
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]


async def test_a_first_import_that_differs_after_its_retry_still_fails(pipeline: Pipeline) -> None:
    org_id = await synced_org(pipeline)
    year = await _reconcile_differing(pipeline, org_id, refreshing=False)
    assert year["state"] == "failed"
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "needs_attention"
