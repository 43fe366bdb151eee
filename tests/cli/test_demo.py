"""`ledgersync demo --headless`: the whole system on the sandbox, settled, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from shared.config import Settings


def test_headless_demo_syncs_every_syncable_example_and_stops_its_children(
    servers: Settings, tmp_path: Path
) -> None:
    assert servers.database_url is not None
    assert servers.redis_url is not None
    env = {
        **os.environ,
        "LEDGERSYNC_HOME": str(tmp_path),
        "LEDGERSYNC_DATABASE_URL": servers.database_url,
        "LEDGERSYNC_REDIS_URL": servers.redis_url,
    }
    env.pop("LEDGERSYNC_SECRET_KEY", None)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "demo", "--headless"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    assert " synced " in lines["Fjordlys Kaffebar"]
    assert " synced " in lines["Tall og Tast Regnskap"]
    assert "needs_attention" in lines["Østre Sykkelverksted"]
    assert " synced " in lines["Tøyen Lekefabrikk"], "the SAF-T example was imported"
    assert (tmp_path / "demo-secret.key").exists(), "the demo made its own key"
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert not left, "the demo left processes behind"
