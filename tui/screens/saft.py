"""Ask for a SAF-T Financial file's path."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


def readable_file(text: str) -> tuple[Path | None, str]:
    """The path typed, if it is a readable file; else a sentence saying what is wrong."""
    if not text.strip():
        return None, "Type the path of the SAF-T Financial XML file."
    path = Path(text.strip()).expanduser()
    if not path.is_file():
        return None, f"{path} is not a file; check the path."
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        return None, f"{path} cannot be read ({exc.strerror}); check its permissions."
    return path, ""


class SaftScreen(ModalScreen[Path | None]):
    """Returns the path of a readable file, or None on esc."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, org_name: str) -> None:
        super().__init__()
        self.org_name = org_name

    def compose(self) -> ComposeResult:
        """A title, the path field, and room for a problem."""
        with Vertical(id="saft-box", classes="modal-box"):
            yield Label(f"SAF-T Financial file for {self.org_name}", classes="modal-title")
            yield Input(placeholder="/path/to/SAF-T.xml", id="saft-path")
            yield Label("", id="saft-problem", classes="problem")

    @on(Input.Submitted, "#saft-path")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter: a readable file closes the screen."""
        path, problem = readable_file(event.value)
        if path is None:
            self.query_one("#saft-problem", Label).update(Text(problem))
        else:
            self.dismiss(path)
