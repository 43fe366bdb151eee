"""Failures recorded by the JobFailures middleware, in a real Dramatiq worker on real servers.

Each test runs an in-process worker (threads, the asyncio loop, the worker's Resources) on the
test's own Redis database and Postgres database, with actors made for the test.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import MiddlewareError
from pipeline_harness import poll

from shared.config import Settings
from shared.db.queries import Q
from shared.errors import PermanentJobError
from shared.logging import register_secret
from worker.broker import build_broker
from worker.failures import error_sentence, traceback_text
from worker.resources import WorkerOptions
from worker.retry_policy import RetryPolicy
from worker.tripletex.errors import TransientUpstream

QUEUE = "failures_test"
POLICY = RetryPolicy(transient_retries=3, other_retries=1, min_backoff_ms=20, max_backoff_ms=50)
#: seconds a test waits for the worker to get somewhere
WITHIN_S = 30.0


@pytest.fixture
def broker(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[RedisBroker]:
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secrets.token_urlsafe(24),
    )
    built = build_broker(settings, WorkerOptions(threads=2), policy=POLICY)
    yield built
    built.close()


@pytest.fixture
def run_worker(broker: RedisBroker) -> Iterator[Callable[[], dramatiq.Worker]]:
    started: list[dramatiq.Worker] = []

    def start() -> dramatiq.Worker:
        worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
async def org_id(pg: asyncpg.Connection) -> int:
    return int(await pg.fetchval(Q["org_insert"], "Fjord AS", "api", "tripletex", "syncing"))


async def first_row(pg: asyncpg.Connection, sql: str, *args: Any) -> asyncpg.Record:
    """The first row `sql` returns, once it returns one (fails after WITHIN_S)."""
    row: asyncpg.Record = await poll(
        f"a row from {sql!r}", lambda: pg.fetchrow(sql, *args), within=WITHIN_S, every=0.05
    )
    return row


def declare(broker: RedisBroker, name: str, fn: Callable[..., Any]) -> dramatiq.Actor[Any, Any]:
    return dramatiq.actor(fn, actor_name=name, queue_name=QUEUE, broker=broker)


@pytest.fixture
def token() -> str:
    value = "tlx-" + secrets.token_hex(16)
    register_secret(value)  # as the worker does with every token it decrypts
    return value


async def test_transient_failures_are_recorded_then_resolved_by_a_later_success(
    broker: RedisBroker,
    run_worker: Callable[[], dramatiq.Worker],
    pg: asyncpg.Connection,
    org_id: int,
    token: str,
) -> None:
    calls: list[int] = []

    async def flaky(org: int, year: int) -> None:
        calls.append(org)
        if len(calls) <= 2:
            raise TransientUpstream(f"Tripletex failed to answer (503) for session {token}")

    actor = declare(broker, "flaky", flaky)
    run_worker()
    actor.send(org_id, 2023)

    job = await first_row(pg, "SELECT * FROM jobs WHERE state = 'resolved'")
    assert (job["actor"], job["args"], job["org_id"], job["year"]) == (
        "flaky",
        [org_id, 2023],
        org_id,
        2023,
    )
    assert job["attempts"] == 2
    assert job["error_class"] == "TransientUpstream"
    assert token not in job["error"]
    assert "***" in job["error"]
    assert token not in job["traceback"]
    assert "Traceback" in job["traceback"]
    attempts = await pg.fetch("SELECT * FROM job_attempts WHERE job_id = $1 ORDER BY id", job["id"])
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "retrying"), (2, "retrying")]
    assert len(calls) == 3
    state = await pg.fetchval("SELECT state FROM organizations WHERE id = $1", org_id)
    assert state == "syncing", "a job that recovered leaves the organization alone"


async def test_a_permanent_error_stops_at_once_and_the_organization_needs_attention(
    broker: RedisBroker,
    run_worker: Callable[[], dramatiq.Worker],
    pg: asyncpg.Connection,
    org_id: int,
) -> None:
    calls: list[int] = []

    async def refused(org: int) -> None:
        calls.append(org)
        raise PermanentJobError("Tripletex refused access (403); run `ledgersync check`.")

    declare(broker, "refused", refused).send(org_id)
    run_worker()

    job = await first_row(pg, "SELECT * FROM jobs WHERE state = 'failed'")
    assert (job["stop_reason"], job["attempts"]) == ("permanent", 1)
    org = await first_row(
        pg, "SELECT * FROM organizations WHERE id = $1 AND state = 'needs_attention'", org_id
    )
    assert "refused access" in org["state_reason"]
    assert "jobs list" in org["state_reason"]
    assert calls == [org_id], "never retried"


async def test_other_errors_stop_when_their_retries_are_used_up(
    broker: RedisBroker,
    run_worker: Callable[[], dramatiq.Worker],
    pg: asyncpg.Connection,
    org_id: int,
) -> None:
    async def broken(org: int) -> None:
        raise KeyError("no such thing")

    declare(broker, "broken", broken).send(org_id)
    run_worker()

    job = await first_row(pg, "SELECT * FROM jobs WHERE state = 'failed'")
    assert (job["stop_reason"], job["attempts"]) == ("retries_exhausted", POLICY.other_retries + 1)
    outcomes = await pg.fetch(
        "SELECT outcome FROM job_attempts WHERE job_id = $1 ORDER BY id", job["id"]
    )
    assert [o["outcome"] for o in outcomes] == ["retrying", "retries_exhausted"]


async def test_a_failure_that_cannot_be_recorded_still_follows_the_policy(
    broker: RedisBroker,
    run_worker: Callable[[], dramatiq.Worker],
    pg: asyncpg.Connection,
    org_id: int,
) -> None:
    await pg.execute("DROP TABLE job_attempts, jobs")  # recording fails from now on
    succeeded = threading.Event()
    calls: list[int] = []

    async def flaky(org: int) -> None:
        calls.append(org)
        if len(calls) == 1:
            raise TransientUpstream("Tripletex failed to answer (502)")
        succeeded.set()

    declare(broker, "flaky_unrecorded", flaky).send(org_id)
    worker = run_worker()
    assert await asyncio.to_thread(succeeded.wait, WITHIN_S), "the retry never came"
    assert all(thread.is_alive() for thread in worker.workers), "recording took a thread down"


def test_error_sentence_and_traceback_are_short_and_masked(token: str) -> None:
    try:
        try:
            raise ValueError(f"bad answer for Authorization: Bearer {token}\nsecond line")
        except ValueError as inner:
            raise RuntimeError(f"wrapped; employeeToken={token}") from inner
    except RuntimeError as exc:
        sentence, trace = error_sentence(exc), traceback_text(exc)
    assert token not in sentence
    assert token not in trace
    assert sentence == "wrapped; employeeToken=***"
    assert "ValueError" in trace, "the cause is kept"
    assert "RuntimeError" in trace
    assert error_sentence(KeyError()).startswith("KeyError")


class Refused(MiddlewareError):
    """What `Refuses` raises (Dramatiq lets only MiddlewareError stop a message)."""


class Refuses(dramatiq.Middleware):
    """A middleware that fails every message of one actor before it runs."""

    def __init__(self, actor_name: str) -> None:
        self.actor_name = actor_name

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        if message.actor_name == self.actor_name:
            raise Refused("the middleware refused this message")


async def test_a_message_a_middleware_fails_leaves_a_jobs_row_not_a_silent_dead_letter(
    broker: RedisBroker,
    run_worker: Callable[[], dramatiq.Worker],
    pg: asyncpg.Connection,
    org_id: int,
) -> None:
    ran: list[int] = []

    async def step(org: int) -> None:
        ran.append(org)

    broker.add_middleware(Refuses("refused_step"))
    declare(broker, "refused_step", step).send(org_id)
    run_worker()

    job = await first_row(pg, "SELECT * FROM jobs WHERE state = 'failed'")
    assert (job["actor"], job["args"], job["org_id"]) == ("refused_step", [org_id], org_id)
    assert job["stop_reason"] == "retries_exhausted"
    assert "middleware refused" in job["error"]
    assert ran == [], "the actor never ran"
