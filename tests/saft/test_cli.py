"""`ledgersync saft import` as a user runs it: exit codes, one sentence, nothing started early."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from saft_support import FIXTURES, VALID, generate

from shared.saft.generate import Fault, Spec


def ledgersync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the command line in a child process."""
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


@pytest.fixture
def quiet_env(tmp_path: Path) -> dict[str, str]:
    """No servers configured: a command that starts none leaves LEDGERSYNC_HOME empty."""
    return {"LEDGERSYNC_HOME": str(tmp_path / "home"), "LEDGERSYNC_LOG_FORMAT": "json"}


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing.xml", "does not exist"),
        (lambda d: generate(d, Spec(fault=Fault.NOT_XML))[0], "not well-formed XML"),
        (lambda d: FIXTURES / "Eksempelfil fra xmlSpy.xml", "in no namespace"),
        (lambda d: FIXTURES / "generated_auditfile_formatted.xml", "not a SAF-T Financial version"),
    ],
    ids=["missing", "not-xml", "no-namespace", "unknown-version"],
)
def test_a_file_refused_up_front_is_exit_2_with_one_sentence_and_no_servers(
    make: object, says: str, tmp_path: Path, quiet_env: dict[str, str]
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    done = ledgersync("saft", "import", "Anyone", str(path), "--wait", env=quiet_env)
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "home").exists(), "no server was started for a file refused early"


@pytest.fixture
def server_env(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """The test's servers, and a home of its own for the stored copies."""
    return {
        "LEDGERSYNC_DATABASE_URL": database_url,
        "LEDGERSYNC_REDIS_URL": redis_url,
        "LEDGERSYNC_HOME": str(tmp_path / "home"),
        "LEDGERSYNC_LOG_FORMAT": "json",
        "LEDGERSYNC_SECRET_KEY": secrets.token_urlsafe(24),
    }


def test_without_a_worker_the_import_is_queued_and_waiting_times_out_with_3(
    server_env: dict[str, str],
) -> None:
    added = ledgersync("org", "add", "Fil AS", "--method", "saft", env=server_env)
    assert added.returncode == 0, added.stderr
    queued = ledgersync("saft", "import", "Fil AS", str(FIXTURES / VALID[2]), env=server_env)
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.strip().isdigit(), "the import id alone on stdout"
    waited = ledgersync(
        "saft",
        "import",
        "Fil AS",
        str(FIXTURES / VALID[2]),
        "--wait",
        "--timeout",
        "1",
        env=server_env,
    )
    assert waited.returncode == 3
    assert "still queued" in waited.stderr
    shown = ledgersync("org", "show", "Fil AS", "--json", env=server_env)
    assert '"state": "syncing"' in shown.stdout


def test_an_unknown_organization_and_an_api_one_are_exit_2(server_env: dict[str, str]) -> None:
    unknown = ledgersync("saft", "import", "Nobody", str(FIXTURES / VALID[2]), env=server_env)
    assert unknown.returncode == 2
    assert "No organization 'Nobody'" in unknown.stderr
    api = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "org",
            "add",
            "Via API",
            "--method",
            "api",
            "--token-stdin",
        ],
        input="x" * 40,
        capture_output=True,
        text=True,
        env={**os.environ, **server_env},
        timeout=120,
        check=False,
    )
    assert api.returncode == 0, api.stderr
    refused = ledgersync("saft", "import", "Via API", str(FIXTURES / VALID[2]), env=server_env)
    assert refused.returncode == 2
    assert "through the API" in refused.stderr


@pytest.mark.parametrize(
    ("state", "code"), [("done", 0), ("invalid", 2), ("failed", 1), ("running", 3)]
)
def test_waiting_ends_with_the_contract_s_exit_code(state: str, code: int) -> None:
    from cli.saft import conclude
    from shared.saft.submit import Submission

    status = {
        "id": 7,
        "state": state,
        "file_name": "f.xml",
        "org_name": "Fil AS",
        "error": "One sentence.",
        "transactions_read": 1,
        "postings_read": 2,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "postings_replaced": 0,
        "warnings": [],
    }
    if code == 0:
        conclude(status, Submission(7, already=False), 1.0, as_json=False)
        return
    with pytest.raises(SystemExit) as ended:
        conclude(status, Submission(7, already=False), 1.0, as_json=False)
    assert ended.value.code == code
