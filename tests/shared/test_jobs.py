"""shared.jobs on real Postgres and Redis: listing failed jobs, retrying them, stuck chunks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import asyncpg
import orjson
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from shared import jobs
from shared.db.queries import Q
from shared.errors import BadInput
from shared.queue import sender

YEAR = 2023
MARCH = (dt.date(YEAR, 3, 1), dt.date(YEAR, 4, 1))


@pytest.fixture
def broker(redis_url: str) -> Iterator[RedisBroker]:
    built = sender(redis_url)
    yield built
    built.close()


async def failed_chunk_job(pg: asyncpg.Connection, name: str) -> tuple[int, int, int]:
    """An organization whose one chunk failed for good, as workers leave it: (org, chunk, job)."""
    org_id = await pg.fetchval(Q["org_insert"], name, "api", "tripletex", "needs_attention")
    await pg.execute(Q["year_start"], org_id, YEAR, 10, None)
    chunk_id = await pg.fetchval(Q["chunk_insert"], org_id, YEAR, *MARCH, 10, None, None)
    await pg.execute(
        "UPDATE chunks SET state = 'failed', error = 'Tripletex failed to answer (503)'"
        " WHERE id = $1",
        chunk_id,
    )
    await pg.execute(Q["year_fail"], org_id, YEAR, "1 chunk(s) failed")
    job = await pg.fetchrow(
        Q["job_record_failure"],
        "import_chunk",
        [chunk_id],
        None,
        None,
        chunk_id,
        "m-1",
        "failed",
        "TransientUpstream",
        "Tripletex failed to answer (503)",
        "Traceback …",
        "retries_exhausted",
    )
    return org_id, chunk_id, job["id"]


def queued_args(redis_url: str, queue: str) -> list[list[object]]:
    client = redis.Redis.from_url(redis_url)
    try:
        ids = client.lrange(f"dramatiq:{queue}", 0, -1)
        return [orjson.loads(client.hget(f"dramatiq:{queue}.msgs", mid))["args"] for mid in ids]
    finally:
        client.close()


async def test_a_failed_job_is_listed_with_its_organization_and_chunk(
    pg: asyncpg.Connection,
) -> None:
    org_id, chunk_id, job_id = await failed_chunk_job(pg, "Fjord AS")
    [job] = await jobs.list_jobs(pg)
    assert (job.id, job.actor, job.org_id, job.org_name, job.year, job.chunk_id) == (
        job_id,
        "import_chunk",
        org_id,
        "Fjord AS",
        YEAR,
        chunk_id,
    )
    assert (job.state, job.attempts, job.stop_reason) == ("failed", 1, "retries_exhausted")
    assert job == await jobs.get_job(pg, job_id)
    assert await jobs.get_job(pg, job_id + 1000) is None
    assert await jobs.list_jobs(pg, state="retrying") == []
    assert await jobs.list_jobs(pg, org_id=org_id + 1000) == []
    assert [j.id for j in await jobs.list_jobs(pg, state=None)] == [job_id]
    with pytest.raises(BadInput, match="Unknown job state"):
        await jobs.list_jobs(pg, state="exploded")


async def test_a_second_failure_updates_the_unresolved_row(pg: asyncpg.Connection) -> None:
    args = ("plan_sync", [7, None], None, None, None, "m", "retrying", "KeyError", "k", "", None)
    first = await pg.fetchrow(Q["job_record_failure"], *args)
    second = await pg.fetchrow(Q["job_record_failure"], *args)
    assert first["id"] == second["id"]
    assert second["attempts"] == 2
    await pg.execute(Q["job_resolve"], "plan_sync", [7, None])
    third = await pg.fetchrow(Q["job_record_failure"], *args)
    assert third["id"] != first["id"], "a job failing after it was resolved is a new row"


async def test_retry_all_of_one_organization_reopens_its_work_only(
    pg: asyncpg.Connection, broker: RedisBroker, redis_url: str
) -> None:
    org_a, chunk_a, job_a = await failed_chunk_job(pg, "A AS")
    _org_b, chunk_b, job_b = await failed_chunk_job(pg, "B AS")

    retried = await jobs.retry_jobs(pg, broker, jobs.RetryScope(org_id=org_a), actor="operator-ola")

    assert retried == [job_a]
    job = await jobs.get_job(pg, job_a)
    assert job is not None
    assert (job.state, job.attempts, job.stop_reason) == ("retrying", 0, None)
    chunk = await pg.fetchrow("SELECT state, error FROM chunks WHERE id = $1", chunk_a)
    assert (chunk["state"], chunk["error"]) == ("queued", None)
    year = await pg.fetchrow(Q["year_by_key"], org_a, YEAR)
    assert year["state"] == "importing"
    org = await pg.fetchrow(Q["org_by_id"], org_a)
    assert (org["state"], org["state_reason"]) == ("syncing", None)
    assert queued_args(redis_url, "chunks") == [[chunk_a]]
    audit = await pg.fetch("SELECT actor, action, org_id, detail FROM audit_log")
    assert [(a["actor"], a["action"], a["org_id"]) for a in audit] == [
        ("operator-ola", "job.retry", org_a)
    ]
    assert audit[0]["detail"]["job_id"] == job_a

    untouched = await jobs.get_job(pg, job_b)
    assert untouched is not None
    assert untouched.state == "failed"
    assert await pg.fetchval("SELECT state FROM chunks WHERE id = $1", chunk_b) == "failed"


async def test_retry_by_id_refuses_unknown_ids_before_changing_anything(
    pg: asyncpg.Connection, broker: RedisBroker, redis_url: str
) -> None:
    _, _, job_id = await failed_chunk_job(pg, "A AS")
    with pytest.raises(BadInput, match=f"No job {job_id + 99}"):
        await jobs.retry_jobs(pg, broker, jobs.RetryScope((job_id, job_id + 99)), actor="ola")
    job = await jobs.get_job(pg, job_id)
    assert job is not None
    assert job.state == "failed"
    assert queued_args(redis_url, "chunks") == []
    assert await pg.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_resolved_jobs_are_left_alone(pg: asyncpg.Connection, broker: RedisBroker) -> None:
    _, chunk_id, job_id = await failed_chunk_job(pg, "A AS")
    await pg.execute("UPDATE chunks SET state = 'done' WHERE id = $1", chunk_id)
    assert [r["id"] for r in await pg.fetch(Q["job_resolve"], "import_chunk", [chunk_id])] == [
        job_id
    ]
    assert await jobs.retry_jobs(pg, broker, jobs.RetryScope((job_id,)), actor="ola") == []
    assert await jobs.retry_jobs(pg, broker, jobs.RetryScope(), actor="ola") == []


async def test_a_chunk_job_is_resolved_only_once_its_chunk_is_done(pg: asyncpg.Connection) -> None:
    _, chunk_id, job_id = await failed_chunk_job(pg, "A AS")
    await pg.execute("UPDATE chunks SET state = 'pending' WHERE id = $1", chunk_id)
    assert await pg.fetch(Q["job_resolve"], "import_chunk", [chunk_id]) == [], (
        "a delivery that did nothing (the chunk was held, or the organization cancelled) is no "
        "success"
    )
    await pg.execute("UPDATE chunks SET state = 'done' WHERE id = $1", chunk_id)
    assert len(await pg.fetch(Q["job_resolve"], "import_chunk", [chunk_id])) == 1
    job = await jobs.get_job(pg, job_id)
    assert job is not None
    assert job.state == "resolved"
    assert job.resolved_at is not None


async def test_stuck_chunks_are_those_past_their_lease_or_queued_too_long(
    pg: asyncpg.Connection,
) -> None:
    org_id = await pg.fetchval(Q["org_insert"], "A AS", "api", "tripletex", "syncing")
    spans = [(dt.date(YEAR, m, 1), dt.date(YEAR, m + 1, 1)) for m in (1, 2, 3, 4)]
    ids = [
        await pg.fetchval(Q["chunk_insert"], org_id, YEAR, *span, 1, None, None) for span in spans
    ]
    expired, live, old_queue, new_queue = ids
    await pg.fetchrow(
        Q["chunk_claim"], expired, uuid.uuid4(), -1.0, None, None
    )  # a lease already over
    await pg.fetchrow(Q["chunk_claim"], live, uuid.uuid4(), 600.0, None, None)
    await pg.execute(
        "UPDATE chunks SET state = 'queued', queued_at = now() - interval '1 hour' WHERE id = $1",
        old_queue,
    )
    await pg.execute("UPDATE chunks SET state = 'queued' WHERE id = $1", new_queue)

    stuck = await jobs.stuck_chunks(pg, older_than_s=600)
    assert {(s.chunk_id, s.state) for s in stuck} == {(expired, "running"), (old_queue, "queued")}
    assert all(s.org_name == "A AS" for s in stuck)
