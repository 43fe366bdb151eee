"""`ledgersync demo --headless`: the whole system on the sandbox, settled, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from cli.demo import ENV_FILE, env_file_text
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
    done = _demo(env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    assert " synced " in lines["Fjordlys Kaffebar"]
    assert " synced " in lines["Tall og Tast Regnskap"]
    assert "needs_attention" in lines["Østre Sykkelverksted"]
    assert " synced " in lines["Tøyen Lekefabrikk"], "the SAF-T example was imported"
    assert (tmp_path / "demo-secret.key").exists(), "the demo made its own key"
    assert f"source {tmp_path / ENV_FILE}" in done.stderr, "the demo says how to reach it"
    assert not (tmp_path / ENV_FILE).exists(), "its URLs went with the demo"
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert not left, "the demo left processes behind"

    # When it starts again with --keep
    again = _demo(env, "--keep")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Kept the last demo's 5 organizations" in again.stderr
    kept = {line.split("  ")[0]: line for line in again.stdout.splitlines()}
    assert kept["Fjordlys Kaffebar"] == lines["Fjordlys Kaffebar"], "its data went on as it was"
    assert kept["Tøyen Lekefabrikk"] == lines["Tøyen Lekefabrikk"]
    assert len(kept) == len(lines), "no example registered twice"


def _demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "demo", "--headless", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_env_file_sets_the_demo_s_environment_for_a_shell(tmp_path: Path) -> None:
    env = {
        "LEDGERSYNC_DATABASE_URL": "postgresql://postgres@127.0.0.1:5999/ledgersync_demo",
        "LEDGERSYNC_REDIS_URL": "redis://127.0.0.1:6999/9",
        "LEDGERSYNC_SECRET_KEY": 'k3y\'with $pecial "chars"',
        "PATH": os.environ["PATH"],
    }
    path = tmp_path / ENV_FILE
    path.write_text(env_file_text(env))
    shown = subprocess.run(
        ["bash", "-c", f"source {path} && env"],
        env={"PATH": env["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in ("LEDGERSYNC_DATABASE_URL", "LEDGERSYNC_REDIS_URL", "LEDGERSYNC_SECRET_KEY"):
        assert f"{name}={env[name]}" in shown
    assert "LEDGERSYNC_TRIPLETEX_URL" not in path.read_text(), "only what the demo has"
