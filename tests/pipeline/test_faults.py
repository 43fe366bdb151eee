"""Imports that ride out Tripletex's bad days: expiring sessions, rate limits, transient faults.

Each test ends with the database equal to the sandbox as it stands then, and no dead letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import aiohttp
from pipeline_harness import (
    Pipeline,
    assert_matches_live_truth,
    control,
    db_now,
    fetch,
    poll,
    wait_year_resynced,
)
from recovery_support import (
    BIG_CLIENT,
    assert_imported_exactly,
    chunk_progress,
    set_faults,
    start_big_client,
)

from shared.crypto import TokenCipher
from worker.tripletex.client import TripletexClient

GOOD_COMPANY = 201
#: a year of the good company
YEAR = 2023
CREATE_SESSION = "POST /v2/token/session/:create"


async def counters(pipeline: Pipeline) -> dict[str, Any]:
    """The sandbox's request counters: total, by_status, by_endpoint."""
    found: dict[str, Any] = await control(pipeline, "GET", "/counters")
    return found


async def test_sessions_expired_mid_import_are_renewed(pipeline: Pipeline) -> None:
    # a little latency keeps requests in flight when the sessions go
    await set_faults(pipeline, delay_ms=40)
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await start_big_client(pipeline)

    async def a_third_done() -> bool:
        done, total = await chunk_progress(pipeline, org_id)
        return total > 0 and done >= total / 3

    await poll("a third of the chunks", a_third_done)
    done, total = await chunk_progress(pipeline, org_id)
    assert done < total, "the import ended before the sessions could be expired"
    expired = await control(pipeline, "POST", "/sessions/expire")
    assert expired["expired"] >= 1

    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    seen = await counters(pipeline)
    assert seen["by_status"].get("401", 0) >= 1, "no request met the expired session"
    assert seen["by_endpoint"][CREATE_SESSION] >= 2, "the session was never renewed"


async def test_short_lived_sessions_are_renewed(pipeline: Pipeline) -> None:
    # Sessions die a second after creation, so the import renews several times, in two
    # processes that adopt each other's sessions.
    await set_faults(pipeline, session_ttl=1.0, delay_ms=100)
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await start_big_client(pipeline)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    seen = await counters(pipeline)
    assert seen["by_status"].get("401", 0) >= 1, "no session expired during the import"
    assert seen["by_endpoint"][CREATE_SESSION] >= 3, "the sessions were not renewed"


async def test_a_renewed_session_lost_before_use_is_renewed_again(pipeline: Pipeline) -> None:
    """Worker A holds session 1; worker B renewed to session 2; then Tripletex drops both.

    One worker process holds session 1 in its cache. The test plays worker B: it opens a real
    session and stores it as the next generation, exactly as `Access.renew` does. Then every
    session expires and a re-sync runs: A's session 1 answers 401, A adopts session 2 (newer,
    and its date is fine), which answers 401 too. A third session makes the import succeed.
    """
    await pipeline.start_worker(processes=1, threads=4)
    org_id = await pipeline.add_org("Fjordlys", "good")
    row = await pipeline.wait_state(org_id, "synced", "needs_attention")
    assert row["state"] == "synced", row["state_reason"]

    expires = dt.date.today() + dt.timedelta(days=2)
    async with aiohttp.ClientSession() as http:
        client = TripletexClient(http, pipeline.server.base_url)
        other = await client.create_session(
            pipeline.truth["consumer_token"], pipeline.token("good"), expires
        )
    cipher = TokenCipher(pipeline.env["LEDGERSYNC_SECRET_KEY"])
    await fetch(
        pipeline.database_url,
        "UPDATE credentials SET session_token = $2, session_expires = $3,"
        " session_generation = session_generation + 1 WHERE org_id = $1 RETURNING org_id",
        org_id,
        cipher.encrypt(other.token),
        other.expires,
    )
    expired = await control(pipeline, "POST", "/sessions/expire")
    assert expired["expired"] >= 2

    since = await db_now(pipeline.database_url)
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", str(YEAR))
    assert code == 0, err
    row = await wait_year_resynced(pipeline, org_id, YEAR, since)
    assert row["org_state"] == "synced", row["state_reason"]
    await assert_matches_live_truth(pipeline, org_id, GOOD_COMPANY)


#: requests per second the rate-limited imports may make
LIMIT = 10


async def rate_limited_import(
    pipeline: Pipeline, record_property: Callable[[str, object], None], *, processes: int
) -> None:
    """The big client imported under 10 requests per second, exactly, paced: (almost) no 429s.

    The import asks for about 30 requests (no probes, 10,000 postings a page): the limit must
    be small for it to span several windows."""
    await set_faults(pipeline, rate_limit=LIMIT, rate_window=1.0)
    await pipeline.start_worker(processes=processes, threads=4 if processes > 1 else 8)
    org_id = await start_big_client(pipeline)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    seen = await counters(pipeline)
    limited = seen["by_status"].get("429", 0)
    record_property("requests", seen["total"])
    record_property("rate_limited", limited)
    assert seen["total"] > 2 * LIMIT, "the import fitted in two windows: the limit proves nothing"
    assert limited <= max(1, seen["total"] // 100), f"{limited} of {seen['total']} were 429s"


async def test_rate_limited_import(
    pipeline: Pipeline, record_property: Callable[[str, object], None]
) -> None:
    await rate_limited_import(pipeline, record_property, processes=1)


async def test_rate_limited_import_with_two_processes(
    pipeline: Pipeline, record_property: Callable[[str, object], None]
) -> None:
    # Both processes draw on one budget in Redis, so neither meets a 429 and waits it out.
    await rate_limited_import(pipeline, record_property, processes=2)


async def test_transient_faults_and_inexact_totals(pipeline: Pipeline) -> None:
    await set_faults(
        pipeline, error_share=0.05, reset_share=0.02, truncate_share=0.02, inexact_total=True
    )
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await start_big_client(pipeline)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    seen = await counters(pipeline)
    errors = sum(seen["by_status"].get(s, 0) for s in ("500", "502", "503"))
    assert errors > 0, "no server error was injected: the test proves nothing"


async def test_a_year_with_one_posting_and_inexact_totals(pipeline: Pipeline) -> None:
    """fullResultSize may be too small: a range is empty only when a page says so.

    The big client's 2021 is empty; one voucher is added to it, then the sandbox reports
    totals of two thirds of the truth, rounded down: 0 for that year, which holds 1 posting.
    """
    added = await control(
        pipeline,
        "POST",
        f"/companies/{BIG_CLIENT}/postings",
        {"date": "2021-05-03", "accountNumber": 1920, "amount": "250.00"},
    )
    assert len(added["postings"]) == 1
    await set_faults(pipeline, inexact_total=True)
    await pipeline.start_worker(processes=2, threads=4)
    org_id = await start_big_client(pipeline)
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
