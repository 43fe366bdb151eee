"""Fixtures for end-to-end tests of the pipeline: the sandbox over HTTP, real workers, real servers.

Shared by `tests/pipeline` and `tests/tui`; the harness itself is `pipeline_harness.py`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pipeline_harness import Pipeline

from sandbox.faults import Faults
from sandbox.scenario import Scenario, build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe


@pytest.fixture
def scenario() -> Scenario:
    """The small scenario: every feature, few postings."""
    return build_scenario("small", 1)


@pytest.fixture
async def pipeline(
    scenario: Scenario, database_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[Pipeline]:
    """A sandbox, this test's database and Redis, and the workers' environment."""
    # the sandbox's default rate limit is realistic (100 per 60 s); the pipeline tests set their own
    async with SandboxServer(scenario, Faults(rate_limit=100_000)) as server:
        truth = describe(scenario)
        env = {
            **os.environ,
            "LEDGERSYNC_DATABASE_URL": database_url,
            "LEDGERSYNC_REDIS_URL": redis_url,
            "LEDGERSYNC_TRIPLETEX_URL": server.base_url,
            "LEDGERSYNC_CONSUMER_TOKEN": truth["consumer_token"],
            "LEDGERSYNC_SECRET_KEY": secrets.token_urlsafe(24),
            "LEDGERSYNC_LOG_FORMAT": "json",
            "LEDGERSYNC_HOME": str(tmp_path / "home"),
        }
        world = Pipeline(server, database_url, env, truth, log_dir=tmp_path)
        try:
            yield world
        finally:
            await world.stop_workers()
