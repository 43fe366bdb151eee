"""A yes/no question before anything hard to undo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


@dataclass(frozen=True, slots=True)
class Option:
    """A wider form of the question that `a` switches to and back (e.g. permanent failures too)."""

    #: the question once switched on
    question: str
    #: what `a` does while it is off, and while it is on
    hint_off: str
    hint_on: str


class ConfirmScreen(ModalScreen[bool]):
    """Says what will happen; `y` or the button confirms, `n`/esc declines.

    With an `Option`, `a` switches between the question and its wider form; `option_on` says
    which was confirmed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
        Binding("a", "switch", "Also", show=False),
    ]

    def __init__(
        self, question: str, *, yes: str = "Yes", danger: bool = False, option: Option | None = None
    ) -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.danger = danger
        self.option = option
        self.option_on = False

    def compose(self) -> ComposeResult:
        """The question, the option's hint, and two buttons."""
        with Vertical(id="confirm-box", classes="-danger" if self.danger else ""):
            yield Label(Text(self.question), id="confirm-question")
            if self.option is not None:
                yield Label(Text(self.option.hint_off), id="confirm-option")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    f"{self.yes} (y)", id="yes", variant="error" if self.danger else "primary"
                )
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        """Focus "No": Enter alone never confirms something dangerous."""
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """A button answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """A key answers."""
        self.dismiss(answer)

    def action_switch(self) -> None:
        """`a`: the question's wider form, or back."""
        if self.option is None:
            return
        self.option_on = not self.option_on
        on = self.option_on
        question = self.option.question if on else self.question
        self.query_one("#confirm-question", Label).update(Text(question))
        hint = self.option.hint_on if on else self.option.hint_off
        self.query_one("#confirm-option", Label).update(Text(hint))
