"""Replace an organization's employee token: a masked field (paste works)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from shared.errors import BadInput
from shared.orgs import clean_token


class TokenScreen(ModalScreen[str | None]):
    """Returns the pasted token, cleaned, or None on esc."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, org_name: str) -> None:
        super().__init__()
        self.org_name = org_name

    def compose(self) -> ComposeResult:
        """A title, the masked field, and room for a problem."""
        with Vertical(id="token-box", classes="modal-box"):
            yield Label(f"New employee token for {self.org_name}", classes="modal-title")
            yield Input(password=True, placeholder="paste the token, then Enter", id="token")
            yield Label("", id="token-problem", classes="problem")
            yield Label("The token is stored encrypted and never shown again.", classes="hint")

    @on(Input.Submitted, "#token")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter: a well-formed token closes the screen."""
        try:
            self.dismiss(clean_token(event.value))
        except BadInput as exc:
            self.query_one("#token-problem", Label).update(Text(str(exc)))
