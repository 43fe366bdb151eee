"""End to end: `ledgersync saft import --wait` against a real `ledgersync worker` process."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pipeline_harness import CLI
from saft_support import FIXTURES, VALID, fetch_count, generate, read_truth

from shared.saft.generate import Fault, Spec


class World:
    """This test's servers and home, and the command line with them."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.workers: list[asyncio.subprocess.Process] = []

    async def ledgersync(self, *args: str) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of one command."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLI, *args, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    async def start_worker(self) -> None:
        """One `ledgersync worker` process (log in the test's folder)."""
        log = (self.log_dir / "worker.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLI, "worker", "--processes", "1", "--threads", "2",
            env=self.env, stdout=log, stderr=log,
        )  # fmt: skip
        self.workers.append(process)

    async def stop_workers(self) -> None:
        """SIGTERM the workers and wait for them."""
        for process in self.workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            await asyncio.wait_for(process.wait(), 60)


@pytest.fixture
async def world(database_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """Servers, a home, and a worker started on demand (stopped afterwards)."""
    env = {
        **os.environ, "LEDGERSYNC_DATABASE_URL": database_url, "LEDGERSYNC_REDIS_URL": redis_url,
        "LEDGERSYNC_HOME": str(tmp_path / "home"), "LEDGERSYNC_LOG_FORMAT": "json",
        "LEDGERSYNC_SECRET_KEY": secrets.token_urlsafe(24),
    }  # fmt: skip
    found = World(env, tmp_path)
    try:
        yield found
    finally:
        await found.stop_workers()


async def test_an_operator_onboards_an_organization_from_its_saft_file_alone(
    world: World, database_url: str, tmp_path: Path
) -> None:
    example = FIXTURES / VALID[0]
    truth = read_truth(example)
    code, out, err = await world.ledgersync("org", "add", "Tøyen Lekefabrikk", "--method", "saft")
    assert code == 0, err
    await world.start_worker()

    code, out, err = await world.ledgersync("saft", "import", "Tøyen Lekefabrikk", str(example),
                                            "--wait", "--timeout", "120")  # fmt: skip
    assert code == 0, f"{err}\n(see {tmp_path / 'worker.log'})"
    assert f"{truth.lines} postings of {truth.entries} transactions added" in out
    assert "Warning: 3 account(s) do not roll forward" in out
    code, out, _ = await world.ledgersync("org", "show", "Tøyen Lekefabrikk", "--json")
    shown = json.loads(out)
    assert (shown["method"], shown["state"]) == ("saft", "synced")
    assert shown["company"]["organizationNumber"] == "888888888"
    assert [(y["year"], y["expected"], y["imported"]) for y in shown["years"]] == [
        (2017, truth.lines, truth.lines)
    ]
    code, out, _ = await world.ledgersync("org", "list", "--json")
    assert json.loads(out)[0]["state"] == "synced"

    bad, _ = generate(tmp_path, Spec(org_number="888888888", year=2017, fault=Fault.UNBALANCED))
    code, out, err = await world.ledgersync("saft", "import", "Tøyen Lekefabrikk", str(bad),
                                            "--wait", "--timeout", "120")  # fmt: skip
    assert code == 2, err
    sentence = err.strip().splitlines()[-1]  # after any progress lines
    assert "does not balance" in sentence
    assert f"of {bad.name}" in sentence
    code, _, err = await world.ledgersync("org", "wait", "Tøyen Lekefabrikk", "--timeout", "5")
    assert code == 1
    assert "does not balance" in err
    assert await fetch_count(database_url) == truth.lines, "the refused file changed nothing"

    code, out, err = await world.ledgersync("saft", "import", "Tøyen Lekefabrikk", str(example),
                                            "--wait", "--timeout", "120")  # fmt: skip
    assert code == 0, err
    assert "is already imported" in out
    assert await fetch_count(database_url) == truth.lines
    code, _, err = await world.ledgersync("org", "wait", "Tøyen Lekefabrikk", "--timeout", "5")
    assert code == 0, "its current file submitted again: the refusal since no longer matters"
