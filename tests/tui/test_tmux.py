"""Smoke: the real `ledgersync tui` in a real terminal (tmux) against a real database."""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pipeline_harness import Pipeline

#: how long the UI may take to show something (embedded servers are already up)
SHOW_S = 60.0

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """A tmux server of its own, one 160×45 window running a command."""

    def __init__(self, script: Path) -> None:
        self.socket = f"ls-test-{uuid.uuid4().hex[:8]}"
        self.tmux("new-session", "-d", "-s", "ui", "-x", "160", "-y", "45", f"sh {script}")

    def tmux(self, *args: str) -> str:
        """Run a tmux command on this terminal's own server."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        return done.stdout

    def screen(self) -> str:
        """What the terminal shows now."""
        return self.tmux("capture-pane", "-p", "-t", "ui")

    def keys(self, *keys: str) -> None:
        """Type keys (tmux key names, or literal text with -l)."""
        self.tmux("send-keys", "-t", "ui", *keys)

    async def shows(self, *texts: str, within: float = SHOW_S) -> str:
        """Wait until every text is on the screen; the screen."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            assert asyncio.get_running_loop().time() < deadline, f"never showed {texts}:\n{screen}"
            await asyncio.sleep(0.2)

    async def hides(self, text: str, within: float = SHOW_S) -> None:
        """Wait until the text has left the screen."""
        deadline = asyncio.get_running_loop().time() + within
        while text in (screen := self.screen()):
            assert asyncio.get_running_loop().time() < deadline, f"{text!r} stayed:\n{screen}"
            await asyncio.sleep(0.2)

    def close(self) -> None:
        """Stop the tmux server (and the UI in it)."""
        self.tmux("kill-server")


def launcher(pipeline: Pipeline, tmp_path: Path, *args: str) -> Path:
    """A shell script that runs `ledgersync tui` with the pipeline's environment."""
    names = (
        "LEDGERSYNC_DATABASE_URL",
        "LEDGERSYNC_REDIS_URL",
        "LEDGERSYNC_SECRET_KEY",
        "LEDGERSYNC_HOME",
        "LEDGERSYNC_TRIPLETEX_URL",
    )
    exports = "".join(f"export {n}={shlex.quote(pipeline.env[n])}\n" for n in names)
    command = shlex.join([sys.executable, "-c", "from cli.main import main; main()", "tui", *args])
    script = tmp_path / "tui.sh"
    # COLUMNS/LINES from the test's own environment would override the terminal's real size
    script.write_text(f"unset COLUMNS LINES\n{exports}exec {command}\n")
    return script


async def test_the_real_tui_in_a_terminal_lists_filters_helps_and_quits(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    await pipeline.add_org("Terminalen AS", "good")
    terminal = Terminal(launcher(pipeline, tmp_path))
    try:
        screen = await terminal.shows("Organizations", "Terminalen AS", "validating")
        assert "workers 0 alive" in screen, "no worker runs in this test"
        terminal.keys("/")
        # as a person does: type once the filter is open (Textual moves the focus after the
        # keys already read, so keys sent in the same burst as `/` would go to the table)
        await terminal.shows("filter: words in name")
        terminal.keys("-l", "nothing like it")
        await terminal.shows("0 of 1 organizations")
        terminal.keys("Escape")
        await terminal.shows("1 organizations", "Terminalen AS")
        terminal.keys("?")
        await terminal.shows("Keys", "Register a new organization", "esc closes")
        terminal.keys("Escape")
        await terminal.hides("esc closes")  # q sent with the Escape would read as alt+q
        terminal.keys("q")
        deadline = asyncio.get_running_loop().time() + SHOW_S
        while terminal.tmux("list-sessions"):
            assert asyncio.get_running_loop().time() < deadline, terminal.screen()
            await asyncio.sleep(0.2)
    finally:
        terminal.close()
    log = Path(pipeline.env["LEDGERSYNC_HOME"]) / "logs" / "tui.log"
    assert log.exists(), "the UI logs to its file"


async def test_read_only_in_a_terminal_offers_no_registration(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    await pipeline.add_org("Bare lese AS", "good")
    terminal = Terminal(launcher(pipeline, tmp_path, "--read-only"))
    try:
        screen = await terminal.shows("[read-only]", "Bare lese AS")
        assert "Register" not in screen
        terminal.keys("n")
        await terminal.shows("Read-only mode")
    finally:
        terminal.close()
