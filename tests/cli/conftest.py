"""Fixtures of the command-line tests: `cli` runs `ledgersync` in this process."""

from __future__ import annotations

import pytest
from cli_inproc import Invoke, invoke


@pytest.fixture
def cli(database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """`ledgersync` in this process, against this test's database and the session's Redis."""
    monkeypatch.setenv("LEDGERSYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("LEDGERSYNC_REDIS_URL", redis_url)
    monkeypatch.setenv("LEDGERSYNC_LOG_FORMAT", "json")
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", "a-test-secret-key-of-some-length")
    return invoke
