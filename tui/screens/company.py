"""Choose an organization's company later (when the wizard was left before it)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from tui.source import Source
from tui.views import Company
from tui.widgets.company_picker import CompanyPicker


class CompanyScreen(ModalScreen[Company | None]):
    """The organization's reachable companies; returns the chosen one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, source: Source, org_id: int, org_name: str) -> None:
        super().__init__()
        self.source = source
        self.org_id = org_id
        self.org_name = org_name

    def compose(self) -> ComposeResult:
        """Title and picker."""
        with Vertical(id="company-box", classes="modal-box"):
            yield Label(f"Which company does {self.org_name} synchronize?", classes="modal-title")
            yield CompanyPicker()

    def on_mount(self) -> None:
        """Load the companies."""
        self.query_one("#company-search").focus()
        self._load()

    @work(exit_on_error=False)
    async def _load(self) -> None:
        self.query_one(CompanyPicker).show(await self.source.companies(self.org_id))

    @on(CompanyPicker.Chosen)
    def chosen(self, event: CompanyPicker.Chosen) -> None:
        """Return the company."""
        self.dismiss(event.company)
