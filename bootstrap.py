#!/usr/bin/env python3
"""Install ledgersync into ./.venv (pinned by constraints.txt), then run the demo or the tests.

    python3 bootstrap.py demo [ARGS...]   # installs, then `ledgersync demo ARGS...`
    python3 bootstrap.py test [ARGS...]   # installs, then the whole test suite (pytest ARGS...)
    python3 bootstrap.py install          # installs only

Only Python 3.11+ is assumed: Postgres and Redis come as embedded servers unless
LEDGERSYNC_DATABASE_URL / LEDGERSYNC_REDIS_URL are set. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LEDGERSYNC_VENV", ROOT / ".venv"))
STAMP = VENV / ".ledgersync-installed"
INPUTS = ("pyproject.toml", "constraints.txt")


def venv_bin(name: str) -> Path:
    """An executable inside the virtual environment."""
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def fingerprint() -> str:
    """Changes whenever what must be installed changes."""
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def install() -> None:
    """Create the venv and install the project with its pinned dependencies, when needed."""
    if STAMP.exists() and STAMP.read_text() == fingerprint():
        return
    if not venv_bin("python").exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing ledgersync and its pinned dependencies ...", flush=True)
    target = [f"{ROOT}[dev]"]
    uv = shutil.which("uv")
    if uv:
        command = [uv, "pip", "install", "--python", str(venv_bin("python"))]
    else:
        command = [str(venv_bin("python")), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run(
        [*command, "--quiet", "-c", str(ROOT / "constraints.txt"), "-e", *target], check=True
    )
    STAMP.write_text(fingerprint())


def main(argv: list[str]) -> int:
    """Install, then hand over to the demo or the test suite."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may run under an older python3
        print("ledgersync needs Python 3.11 or newer; run this with python3.11+.", file=sys.stderr)
        return 2
    if not argv or argv[0] not in {"demo", "test", "install"}:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        install()
    except subprocess.CalledProcessError as exc:
        print(f"Installing failed (exit {exc.returncode}); see the output above.", file=sys.stderr)
        return 1
    what, rest = argv[0], argv[1:]
    if what == "install":
        return 0
    if what == "demo":
        command = [str(venv_bin("ledgersync")), "demo", *rest]
    else:
        command = [str(venv_bin("python")), "-m", "pytest", *rest]
    os.chdir(ROOT)
    child = subprocess.Popen(command)
    # Ctrl-C reaches the child too: let it stop what it started, and wait for it to finish
    signal.signal(signal.SIGINT, lambda *_: None)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
