"""A running worker that loses Redis logs one line per back-off step and resumes by itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pipeline_harness import Pipeline, poll

from shared import status
from shared.embedded import _Redis, free_port

#: the first back-off steps (1 s, 2 s, 4 s): seen within this many seconds of the loss
FIRST_STEPS = 3
STEPS_WITHIN_S = 30.0
#: seconds a worker may take to start, and to consume again once Redis is back
CONSUMES_WITHIN_S = 60.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[_Redis, int]]:
    """A Redis of this test's own, to stop and start again under a running worker."""
    server, port = _Redis(tmp_path / "redis"), free_port()
    server.start(port)
    yield server, port
    server.stop()


async def consuming(url: str) -> bool:
    """Whether a worker process takes messages from this Redis (its heartbeat is fresh)."""

    def alive() -> bool:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(status.alive(status.workers(client)))
        except redis.RedisError:
            return False
        finally:
            client.close()

    return await asyncio.to_thread(alive)


async def test_a_worker_that_loses_redis_says_so_once_per_step_and_resumes(
    pipeline: Pipeline, own_redis: tuple[_Redis, int]
) -> None:
    server, port = own_redis
    url = f"redis://127.0.0.1:{port}/0"
    line = await pipeline.start_worker(env=pipeline.env | {"LEDGERSYNC_REDIS_URL": url})
    await poll("the worker to consume", lambda: consuming(url), within=CONSUMES_WITHIN_S)

    server.stop()

    async def steps_logged() -> list[str]:
        lines = pipeline.log_of(line).splitlines()
        steps = [entry for entry in lines if "redis_unreachable" in entry]
        return steps if len(steps) >= FIRST_STEPS else []

    steps = await poll("the first back-off steps", steps_logged, within=STEPS_WITHIN_S)
    assert [json.loads(step)["next_check_in_s"] for step in steps[:FIRST_STEPS]] == [1, 2, 4]
    log = pipeline.log_of(line)
    assert "Consumer encountered a connection error" not in log, log[-2000:]
    assert "Restarting consumer" not in log, log[-2000:]

    server.start(port)
    redis.Redis.from_url(url).flushall()  # the heartbeats it saved on stopping are gone
    await poll("the worker to consume again", lambda: consuming(url), within=CONSUMES_WITHIN_S)
    assert "redis_reachable" in pipeline.log_of(line)
    assert line.returncode is None
