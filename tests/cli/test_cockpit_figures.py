"""The command line's figures against real rows (issue 18): queue depths with a pending retry,
retry --all without permanent failures, token fingerprints, and errors with their time."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import redis
from cli_inproc import Invoke
from cockpit_seed import api_year, failed_job, pending_retry, stopped, worker_beat

from shared.crypto import TokenCipher
from shared.db import connect
from shared.db.queries import Q
from shared.jobs import StopReason
from shared.models import OrgState
from shared.orgs import NOT_FINGERPRINTED
from shared.worker_names import WorkerName
from worker.failures import Failure, record

T = TypeVar("T")

#: the cli fixture's key
SECRET_KEY = "a-test-secret-key-of-some-length"


def tripletex_token(employee_token: str) -> bytes:
    """A token shaped like Tripletex's: base64 of a small JSON object, ending in `fQ==`."""
    raw = json.dumps({"id": 1, "token": employee_token}).encode()
    while len(raw) % 3 != 1:  # "}" alone in the last group of three: "fQ=="
        raw = raw[:-1] + b" }"
    return base64.b64encode(raw)


def on_db(database_url: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on a connection from a test that is not async (the commands run their own
    event loop)."""

    async def run() -> T:
        conn = await connect(database_url)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def add_api(cli: Invoke, name: str, token: bytes) -> int:
    done = cli("org", "add", name, "--method", "api", "--token-stdin", stdin=token)
    assert done.code == 0, done.stderr
    return int(done.stdout)


def show(cli: Invoke, ref: str) -> dict[str, object]:
    done = cli("org", "show", ref, "--json")
    assert done.code == 0, done.stderr
    shown: dict[str, object] = json.loads(done.stdout)
    return shown


def test_status_json_counts_a_pending_retry_as_delayed(cli: Invoke, redis_url: str) -> None:
    pending_retry(redis_url, "import_chunk", 9)
    done = cli("status", "--json")
    assert done.code == 0, done.stderr  # before: WRONGTYPE on the delay queue
    queues = {q["name"]: q for q in json.loads(done.stdout)["queues"]}
    assert (queues["chunks"]["depth"], queues["chunks"]["delayed"]) == (0, 1)


def test_retry_all_skips_permanent_failures_unless_asked(cli: Invoke, database_url: str) -> None:
    transient = on_db(database_url, lambda pg: failed_job(pg, stopped("plan_sync", [11, None])))
    revoked = on_db(
        database_url,
        lambda pg: failed_job(
            pg, stopped("validate_token", [11], stop_reason=StopReason.PERMANENT)
        ),
    )

    def state(job_id: int) -> str:
        return str(
            on_db(database_url, lambda pg: pg.fetchval(Q["job_by_id"], job_id, column="state"))
        )

    done = cli("jobs", "retry", "--all")
    assert done.code == 0, done.stderr
    assert f"Retried 1 job(s): {transient}." in done.stdout
    assert "Left alone 1 permanent failure(s)" in done.stdout
    assert f"bad input): {revoked}." in done.stdout
    assert (state(transient), state(revoked)) == ("retrying", "failed")
    done = cli("jobs", "retry", "--all", "--include-permanent")
    assert done.code == 0, done.stderr
    assert f"Retried 1 job(s): {revoked}." in done.stdout
    assert state(revoked) == "retrying"


def test_include_permanent_goes_with_all(cli: Invoke) -> None:
    done = cli("jobs", "retry", "7", "--include-permanent")
    assert done.code == 2
    assert "--include-permanent go with --all" in done.stderr


def test_two_tokens_ending_alike_have_different_fingerprints(cli: Invoke) -> None:
    first, second = tripletex_token("aaaa-1111"), tripletex_token("bbbb-2222")
    assert first[-4:] == second[-4:] == b"fQ==", "the old hint told these apart never"
    ids = add_api(cli, "Første AS", first), add_api(cli, "Andre AS", second)
    cipher = TokenCipher(SECRET_KEY)
    shown = [show(cli, f"#{org_id}")["token_fingerprint"] for org_id in ids]
    assert shown == [cipher.fingerprint(first.decode()), cipher.fingerprint(second.decode())]
    assert shown[0] != shown[1]
    assert all(re.fullmatch(r"fp:[a-z2-7]{4}-[a-z2-7]{4}", str(fp)) for fp in shown)
    listed = json.loads(cli("org", "list", "--json").stdout)
    assert [o["token_fingerprint"] for o in listed] == shown
    assert f"Token: {shown[0]}" in cli("org", "show", f"#{ids[0]}").stdout
    # keyed: another installation's key names the same token otherwise
    assert TokenCipher("another-key-of-some-length").fingerprint(first.decode()) != shown[0]


def test_replacing_a_token_keeps_both_fingerprints_in_the_audit(
    cli: Invoke, database_url: str
) -> None:
    org_id = add_api(cli, "Bytte AS", tripletex_token("old-0000"))
    before = show(cli, f"#{org_id}")["token_fingerprint"]
    done = cli("org", "token", f"#{org_id}", "--token-stdin", stdin=tripletex_token("new-9999"))
    assert done.code == 0, done.stderr
    after = show(cli, f"#{org_id}")["token_fingerprint"]
    assert after != before
    detail = on_db(
        database_url,
        lambda pg: pg.fetchval(
            "SELECT detail FROM audit_log WHERE action = 'org.replace_token' AND org_id = $1",
            org_id,
        ),
    )
    assert detail == {"fingerprint": after, "previous_fingerprint": before}


def test_a_token_stored_before_fingerprints_gets_one_from_db_migrate(
    cli: Invoke, database_url: str
) -> None:
    token = tripletex_token("legacy-42")
    org_id = add_api(cli, "Gammel AS", token)
    # as migration 0010 leaves a token stored with a last-four-characters hint
    on_db(
        database_url,
        lambda pg: pg.execute(
            "UPDATE credentials SET token_fingerprint = NULL WHERE org_id = $1", org_id
        ),
    )
    assert show(cli, f"#{org_id}")["token_fingerprint"] == NOT_FINGERPRINTED
    done = cli("db", "migrate")
    assert done.code == 0, done.stderr
    assert "Fingerprinted 1 stored token(s)." in done.stdout
    fingerprint = TokenCipher(SECRET_KEY).fingerprint(token.decode())
    assert show(cli, f"#{org_id}")["token_fingerprint"] == fingerprint


def test_an_error_has_its_time_and_goes_once_the_organization_is_synced(
    cli: Invoke, database_url: str
) -> None:
    done = cli("org", "add", "Feil AS", "--method", "saft")
    org_id = int(done.stdout)

    def move(state: OrgState, reason: str | None = None) -> None:
        on_db(database_url, lambda pg: pg.execute(Q["org_set_state"], org_id, state, reason))

    move(OrgState.NEEDS_ATTENTION, "Token revoked")
    shown = show(cli, f"#{org_id}")
    assert shown["last_error"] == "Token revoked"
    at = dt.datetime.fromisoformat(str(shown["last_error_at"]))
    now = on_db(database_url, lambda pg: pg.fetchval("SELECT now()"))
    assert abs((now - at).total_seconds()) < 60
    assert f"Last error ({at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC): Token revoked" in (
        cli("org", "show", f"#{org_id}").stdout
    )
    # a step on the way back does not clear it; being synced does
    move(OrgState.SYNCING)
    assert show(cli, f"#{org_id}")["last_error"] == "Token revoked"
    move(OrgState.SYNCED)
    shown = show(cli, f"#{org_id}")
    assert (shown["last_error"], shown["last_error_at"]) == (None, None)
    kept = on_db(
        database_url,
        lambda pg: pg.fetchval(
            "SELECT detail FROM audit_log WHERE action = 'org.recovered' AND org_id = $1", org_id
        ),
    )
    assert kept["error"] == "Token revoked"
    assert dt.datetime.fromisoformat(kept["error_at"]) == at


def test_jobs_list_json_has_a_chunks_range_and_its_next_try(cli: Invoke, database_url: str) -> None:
    async def seed(pg: asyncpg.Connection) -> int:
        org_id = await api_year(pg, "Mars AS", 2024, {3: ("queued", None)})
        chunk_id = await pg.fetchval("SELECT id FROM chunks WHERE org_id = $1", org_id)
        failure = Failure(
            "import_chunk",
            [chunk_id],
            "m-1",
            "UpstreamError",
            "Tripletex answered 503",
            "",
            None,
            retry_in_ms=120_000,
        )
        return int((await record(pg, failure))["id"])

    job_id = on_db(database_url, seed)
    done = cli("jobs", "list", "--json")
    assert done.code == 0, done.stderr
    (job,) = json.loads(done.stdout)
    assert (job["id"], job["state"], job["range"]) == (job_id, "retrying", "2024-03")
    next_at = dt.datetime.fromisoformat(job["next_retry_at"])
    assert 100 < (next_at - dt.datetime.now(dt.UTC)).total_seconds() <= 120
    table = cli("jobs", "list")
    assert table.code == 0, table.stderr
    line = next(row for row in table.stdout.splitlines() if row.startswith(str(job_id)))
    assert "2024-03" in line
    assert "retrying" in line
    assert "in 1m" in line or "in 2m" in line


def test_status_json_names_each_worker(cli: Invoke, redis_client: redis.Redis) -> None:
    worker_beat(redis_client, "5f0e2b7c-uuid", WorkerName("ledger-1", 4242, "1/2", ("saft",)))
    done = cli("status", "--json")
    assert done.code == 0, done.stderr
    (worker,) = json.loads(done.stdout)["workers"]
    assert worker["id"] == "5f0e2b7c-uuid"
    assert worker["heartbeat_age_s"] < 60
    assert worker["name"] == "ledger-1 pid 4242 slot 1/2 (saft)"
    assert (worker["host"], worker["pid"], worker["slot"], worker["queues"]) == (
        "ledger-1",
        4242,
        "1/2",
        ["saft"],
    )
    table = cli("status")
    assert "ledger-1 pid 4242 slot 1/2 (saft)" in table.stdout
