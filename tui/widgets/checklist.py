"""The troubleshooting checks as a checklist: ✓ ✗ ! –, the sentence, and the help to point to."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label

from shared.checks import SYMBOLS, TITLES, Check, CheckStatus
from shared.help_pages import with_urls


class CheckItem(Horizontal):
    """One check: its symbol, title and sentence; the help when it did not pass."""

    def __init__(self, check: Check) -> None:
        super().__init__(classes=f"check -{check.status.value}")
        self.check = check

    def compose(self) -> ComposeResult:
        """Symbol | title, sentence, help."""
        check = self.check
        yield Label(SYMBOLS[check.status], classes="check-symbol")
        with Vertical(classes="check-body"):
            yield Label(TITLES[check.name], classes="check-title")
            yield Label(Text(check.message), classes="check-message")
            if check.help and check.status is not CheckStatus.PASS:
                yield Label(Text("Help: " + "; ".join(with_urls(check.help))), classes="check-help")


class Checklist(VerticalScroll):
    """Every check of a run, in run order; rebuilt only when the run changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[Check, ...] | None = None

    def show(self, results: Sequence[Check]) -> None:
        """Show these results."""
        if tuple(results) == self._shown:
            return
        self._shown = tuple(results)
        self.remove_children()
        self.mount_all(CheckItem(check) for check in results)
