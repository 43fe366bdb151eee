"""Secrets: no token in Redis, in any log, or in the database in plaintext; a wrong secret key
is refused in one sentence and changes nothing.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from leaks import database_texts, leaks, log_texts, redis_texts
from pipeline_harness import (
    Pipeline,
    control,
    db_now,
    fetch,
    redis_url_of,
    wait_year_resynced,
)
from recovery_support import (
    BIG_CLIENT,
    assert_imported_exactly,
    set_faults,
    start_big_client,
    wait_partly_done,
)

GOOD_COMPANY = 201
YEAR = 2023
WRONG_KEY = "not the key the tokens were stored with"


async def test_no_token_in_redis_logs_or_the_database(pipeline: Pipeline) -> None:
    # sessions die early and requests fail now and then: renewals, retries, error paths
    await set_faults(pipeline, session_ttl=1.0, error_share=0.05, truncate_share=0.02, delay_ms=20)
    await pipeline.start_worker(processes=2, threads=4)
    await pipeline.start_scheduler(requeue_after=1.0)
    org_id = await start_big_client(pipeline)
    await wait_partly_done(pipeline, org_id)
    during = await redis_texts(redis_url_of(pipeline))
    await fetch(  # a dropped connection mid-import: tracebacks in logs and in retried messages
        pipeline.database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    await wait_partly_done(pipeline, org_id, share=0.5)
    during += await redis_texts(redis_url_of(pipeline))
    for command in (("org", "show"), ("org", "companies"), ("check",)):
        await pipeline.ledgersync(*command, str(org_id), "--json")
    await pipeline.ledgersync("status", "--json")
    await assert_imported_exactly(pipeline, org_id, BIG_CLIENT)
    await pipeline.stop_workers()

    sessions = (await control(pipeline, "GET", "/sessions"))["issued"]
    assert len(sessions) >= 3, "too few sessions to prove anything"
    secrets = [
        pipeline.token("accountant"),
        pipeline.truth["consumer_token"],
        pipeline.env["LEDGERSYNC_SECRET_KEY"],
        *sessions,
    ]
    places = [
        *during,
        *await redis_texts(redis_url_of(pipeline)),
        *log_texts(pipeline.log_dir),
        *await database_texts(pipeline.database_url),
    ]
    assert {place.split()[0] for place, _ in places} >= {"redis", "log", "table"}
    assert any(name.startswith("table credentials") for name, _ in places)
    assert leaks(places, secrets) == []


async def test_a_wrong_secret_key_is_refused_and_changes_nothing(pipeline: Pipeline) -> None:
    await pipeline.start_worker()
    org_id = await pipeline.add_org("Fjordlys", "good")
    await assert_imported_exactly(pipeline, org_id, GOOD_COMPANY)
    await pipeline.stop_workers()
    before = await everything(pipeline)
    right = pipeline.env
    pipeline.env = {**right, "LEDGERSYNC_SECRET_KEY": WRONG_KEY}

    code, out, err = await pipeline.ledgersync(
        "org", "add", "Havbris", "--method", "api", "--token-stdin", stdin=pipeline.token("good")
    )
    assert (code, out) == (2, ""), err
    assert_one_sentence_about_the_key(err)
    code, _, err = await pipeline.ledgersync(
        "org", "token", str(org_id), "--token-stdin", stdin=pipeline.token("accountant")
    )
    assert code == 2
    assert_one_sentence_about_the_key(err)
    code, _, err = await pipeline.ledgersync("check", str(org_id))
    assert code == 2
    assert_one_sentence_about_the_key(err)
    worker = await pipeline.start_worker()
    assert await worker.wait() == 2, "a worker with the wrong key started"
    assert_one_sentence_about_the_key(pipeline.log_of(worker))
    assert await everything(pipeline) == before, "a refused command changed the database"

    pipeline.env = right  # the right key again: everything works as before
    await pipeline.start_worker()
    since = await db_now(pipeline.database_url)
    code, _, err = await pipeline.ledgersync("org", "sync", str(org_id), "--year", str(YEAR))
    assert code == 0, err
    row = await wait_year_resynced(pipeline, org_id, YEAR, since)
    assert row["org_state"] == "synced", row["state_reason"]
    await assert_imported_exactly(pipeline, org_id, GOOD_COMPANY)


def assert_one_sentence_about_the_key(stderr: str) -> None:
    """The error names the setting and what to do, in one line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "LEDGERSYNC_SECRET_KEY" in lines[0]
    assert "set the key they were stored with" in lines[0]


async def everything(pipeline: Pipeline) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables a refused command could have touched."""
    tables = ("organizations", "credentials", "companies", "sync_years", "chunks", "key_check")
    return {
        table: sorted(
            (tuple(row) for row in await fetch(pipeline.database_url, f"SELECT * FROM {table}")),  # noqa: S608
            key=repr,
        )
        for table in (*tables, "audit_log", "check_runs")
    }


def test_the_leak_finder_finds_every_form() -> None:
    token = "eyJ0b2tlbklkIjo0MDAwMSwidG9rZW4iOiJiNDRkOWQ4OC0wZmIwIn0="
    basic = base64.b64encode(f"202:{token}".encode()).decode()
    texts = [
        ("raw", f"token={token}"),
        ("basic", f"Authorization: Basic {basic}"),
        ("quoted", f"?employeeToken={quote(token, safe='')}&x=1"),
        ("clean", f"Basic {base64.b64encode(b'202:another').decode()} …{token[-4:]}"),
    ]
    found = leaks(texts, [token])
    assert sorted(place.split(":")[0] for place in found) == ["basic", "quoted", "raw"]
