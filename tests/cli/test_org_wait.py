"""`org wait` on an organization that waits for an operator says so at once (exit 1)."""

from __future__ import annotations

import time

import pytest
from cli_inproc import Invoke, sql


@pytest.mark.parametrize(
    ("state", "reason", "said"),
    [
        ("choose_company", None, "waits for a company to be chosen"),
        ("needs_attention", "The token has expired.", "needs attention: The token has expired."),
        ("cancelled", "stopped by ops", "ledgersync org resume"),
        ("awaiting_file", None, "waits for its SAF-T file"),
    ],
)
def test_wait_returns_at_once_with_the_action_needed(
    cli: Invoke, database_url: str, state: str, reason: str | None, said: str
) -> None:
    org_id = int(cli("org", "add", "Bakeri AS", "--method", "saft").stdout)
    sql(
        database_url,
        "UPDATE organizations SET state = $2, state_reason = $3 WHERE id = $1",
        org_id,
        state,
        reason,
    )
    started = time.monotonic()
    done = cli("org", "wait", "Bakeri AS", "--timeout", "60")
    assert time.monotonic() - started < 5
    assert done.code == 1
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_wait_on_a_syncing_organization_times_out_with_3(cli: Invoke, database_url: str) -> None:
    org_id = int(cli("org", "add", "Bakeri AS", "--method", "saft").stdout)
    sql(database_url, "UPDATE organizations SET state = 'syncing' WHERE id = $1", org_id)
    done = cli("org", "wait", f"#{org_id}", "--timeout", "0.5")
    assert done.code == 3
    assert "still syncing" in done.stderr
