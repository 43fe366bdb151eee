"""The `ledgersync` command as a user runs it: a real process, its exit code and its streams."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

#: every command of the contract's command-line table
CONTRACT_COMMANDS = (
    "demo",
    "tui",
    "worker",
    "sandbox",
    "db",
    "org",
    "check",
    "saft",
    "jobs",
    "status",
    "ledger",
)


def ledgersync(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script's code in a child process."""
    environ = {**os.environ, "LEDGERSYNC_LOG_FORMAT": "json", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_help_lists_every_contract_command() -> None:
    done = ledgersync("--help")
    assert done.returncode == 0
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line}
    assert set(CONTRACT_COMMANDS) <= listed


@pytest.mark.parametrize("command", CONTRACT_COMMANDS)
def test_every_contract_command_has_landed(command: str) -> None:
    done = ledgersync(command, "--help")
    assert done.returncode == 0, done.stderr
    assert "not yet available" not in done.stdout


def test_unknown_command_is_a_usage_error() -> None:
    done = ledgersync("frobnicate")
    assert done.returncode == 2
    assert "No such command" in done.stderr


def test_invalid_configuration_is_named_in_one_sentence(tmp_path: Path) -> None:
    done = ledgersync(
        "db",
        "migrate",
        env={
            "LEDGERSYNC_HOME": str(tmp_path),
            "LEDGERSYNC_LOG_FORMAT": "yaml",
            "LEDGERSYNC_DATABASE_URL": "mysql://nope",
        },
    )
    assert done.returncode == 2
    assert "LEDGERSYNC_LOG_FORMAT" in done.stderr
    assert "LEDGERSYNC_DATABASE_URL" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "servers.json").exists(), "nothing was started"


def test_db_migrate_twice_second_is_a_no_op(database_url: str, redis_url: str) -> None:
    env = {"LEDGERSYNC_DATABASE_URL": database_url, "LEDGERSYNC_REDIS_URL": redis_url}
    # the test database is cloned from a migrated template: already up to date
    done = ledgersync("db", "migrate", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Schema is up to date."


def test_unreachable_database_is_one_clear_sentence() -> None:
    done = ledgersync(
        "db",
        "migrate",
        env={
            "LEDGERSYNC_DATABASE_URL": "postgresql://nobody:hunter2secret@127.0.0.1:1/x",
            "LEDGERSYNC_REDIS_URL": "redis://127.0.0.1:1/0",
        },
    )
    assert done.returncode == 1
    assert "Cannot connect to Postgres at 127.0.0.1:1/x" in done.stderr
    assert "hunter2secret" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1


def test_sandbox_describe_prints_the_contract_scenario() -> None:
    done = ledgersync("sandbox", "--scenario", "small", "--describe")
    assert done.returncode == 0, done.stderr
    scenario = json.loads(done.stdout)
    assert set(scenario["tokens"]) == {
        "good",
        "accountant",
        "integrations_off",
        "not_shared",
        "no_ledger_access",
        "expired",
    }
    assert scenario["consumer_token"]
    company = scenario["companies"][0]
    assert {"id", "name", "organizationNumber", "reached_by", "years"} <= set(company)
    year = next(iter(company["years"].values()))
    assert {"count", "debit", "credit"} == set(year)
    assert Decimal(year["debit"]) == -Decimal(year["credit"]), "vouchers balance"


def test_sandbox_refuses_an_unknown_scenario_with_exit_2() -> None:
    done = ledgersync("sandbox", "--scenario", "nope", "--describe")
    assert done.returncode == 2
    assert "nope" in done.stderr


def test_a_worker_for_a_queue_that_does_not_exist_is_refused_with_exit_2() -> None:
    done = ledgersync("worker", "--queues", "chunks,nope")
    assert done.returncode == 2
    assert "nope: the queues are chunks, onboarding, saft." in done.stderr
