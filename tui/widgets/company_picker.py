"""A searchable list of companies: an accountant's token may reach hundreds of clients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from tui.views import Company
from tui.widgets.table import Table


def company_matches(company: Company, text: str) -> bool:
    """Whether every word of `text` is in the company's name, number or id."""
    haystack = f"{company.id} {company.name} {company.org_number or ''}".casefold()
    digits = haystack.replace(" ", "")
    return all(word in haystack or word in digits for word in text.casefold().split())


class CompanyTable(Table):
    """Companies; the row key is the company id."""

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in (
            ("id", "#"),
            ("name", "Company"),
            ("number", "Org. number"),
            ("own", ""),
        ):
            self.add_column(heading, key=key)


class CompanyPicker(Vertical):
    """Type to narrow the list; Enter on a company chooses it."""

    @dataclass
    class Chosen(Message):
        """A company was chosen."""

        company: Company

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.companies: tuple[Company, ...] = ()

    def compose(self) -> ComposeResult:
        """Search field, count, table."""
        yield Input(placeholder="search: name, organization number or id", id="company-search")
        yield Label("", id="company-count")
        yield CompanyTable(id="companies")

    def show(self, companies: Sequence[Company]) -> None:
        """The companies to choose from."""
        self.companies = tuple(companies)
        self._narrow(self.query_one("#company-search", Input).value)

    @on(Input.Changed, "#company-search")
    def searched(self, event: Input.Changed) -> None:
        """Narrow as you type."""
        self._narrow(event.value)

    @on(Input.Submitted, "#company-search")
    def search_done(self) -> None:
        """Enter in the search: the only match is chosen, else the list gets the keys."""
        table = self.query_one(CompanyTable)
        if table.row_count == 1:
            self._choose(table.current_key)
        else:
            table.focus()

    @on(DataTable.RowSelected, "#companies")
    def selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row chooses it."""
        event.stop()
        self._choose(event.row_key.value)

    def _choose(self, key: str | None) -> None:
        chosen = next((c for c in self.companies if str(c.id) == key), None)
        if chosen is not None:
            self.post_message(self.Chosen(chosen))

    def _narrow(self, text: str) -> None:
        table = self.query_one(CompanyTable)
        shown = [c for c in self.companies if company_matches(c, text)]
        table.show(
            [
                (
                    str(c.id),
                    (
                        str(c.id),
                        c.name,
                        c.org_number or "",
                        table.look("own", "table--muted") if c.own else "",
                    ),
                )
                for c in shown
            ]
        )
        total = len(self.companies)
        counted = f"{len(shown)} of {total}" if text.strip() else str(total)
        self.query_one("#company-count", Label).update(
            f"{counted} compan{'y' if total == 1 else 'ies'}"
        )
