"""The message to the customer for one run of the checks: `l` switches language, `c` copies it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from shared.checks import Check
from shared.customer_message import DEFAULT_LANG, CustomerMessage, compose
from shared.customer_words import Lang

#: the language `l` switches to from each
OTHER: dict[Lang, Lang] = {Lang.NB: Lang.EN, Lang.EN: Lang.NB}
#: each language, for people
NAMES: dict[Lang, str] = {Lang.NB: "Norwegian", Lang.EN: "English"}


class MessageScreen(ModalScreen[None]):
    """Shows the ready-to-send message; opened only when the run asks something of the customer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", tooltip="Copy the message (subject and body)"),
        Binding("l", "switch_lang", "Language", tooltip="Switch between Norwegian and English"),
        Binding("escape,q", "dismiss", "Close", key_display="esc"),
    ]

    def __init__(
        self,
        org_name: str,
        application_name: str | None,
        results: Sequence[Check],
        lang: Lang = DEFAULT_LANG,
    ) -> None:
        super().__init__()
        self.org_name = org_name
        self.application_name = application_name
        self.results = tuple(results)
        self.lang = lang

    @property
    def message(self) -> CustomerMessage | None:
        """The message in the current language."""
        return compose(self.org_name, self.application_name, self.results, self.lang)

    def compose(self) -> ComposeResult:
        """Title, the message (scrolls), the keys."""
        with Vertical(id="message-box", classes="modal-box"):
            yield Label("", id="message-title", classes="modal-title")
            with VerticalScroll(id="message-scroll"):
                yield Static("", id="message-text")
            yield Label("c copies · l Norwegian/English · esc closes", classes="hint")

    def on_mount(self) -> None:
        """Show the message."""
        self._show()

    def _show(self) -> None:
        found = self.message
        title = f"Message to the customer of {self.org_name} ({NAMES[self.lang]})"
        self.query_one("#message-title", Label).update(Text(title))
        self.query_one("#message-text", Static).update(Text(found.text if found else ""))

    def action_switch_lang(self) -> None:
        """Show the message in the other language."""
        self.lang = OTHER[self.lang]
        self._show()

    def action_copy(self) -> None:
        """Copy subject and body to the clipboard (OSC 52: most terminals, not macOS Terminal)."""
        found = self.message
        if found is None:
            return
        self.app.copy_to_clipboard(found.text)
        self.notify(f"Copied the message for {self.org_name} ({self.lang.value}).")
