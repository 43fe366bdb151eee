"""Postings: date, voucher, description, amount, and their dimensions by name."""

from __future__ import annotations

from collections.abc import Sequence

from shared.ledger.reports import PostingLine
from tui import format as fmt
from tui.widgets.table import Table
from tui.widgets.trial_balance_table import right

#: the columns; `account` only where the postings are of more than one account
COLUMNS = (
    ("date", "Date"),
    ("account", "Account"),
    ("voucher", "Voucher"),
    ("description", "Description"),
    ("amount", "Amount"),
    ("dimensions", "Dimensions"),
)
#: characters of a description shown
TEXT_WIDTH = 36


def dimensions(posting: PostingLine) -> str:
    """`Customer: Kunde AS · Project: Nybygg`."""
    return " · ".join(f"{d.label}: {d.name}" for d in posting.dimensions)


class PostingTable(Table):
    """One row per posting, in the order given; rebuilt whole for each new set of postings (the
    rows are keyed by posting id, which no column shows)."""

    def __init__(self, *, accounts: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.accounts = accounts
        self._postings: dict[str, PostingLine] = {}

    def on_mount(self) -> None:
        """Add the columns."""
        for key, heading in COLUMNS:
            if key != "account" or self.accounts:
                self.add_column(heading, key=key)

    @property
    def current_posting(self) -> PostingLine | None:
        """The posting under the cursor."""
        key = self.current_key
        return None if key is None else self._postings.get(key)

    def show_postings(self, postings: Sequence[PostingLine]) -> None:
        """Show these postings in this order."""
        self.forget()
        self._postings = {str(p.posting_id): p for p in postings}
        self.show([(str(p.posting_id), self._posting_cells(p)) for p in postings])

    def _posting_cells(self, p: PostingLine) -> tuple[object, ...]:
        account = (f"{p.account} {p.account_name or ''}".strip(),) if self.accounts else ()
        return (
            p.date.isoformat(),
            *account,
            p.voucher_number or "",
            fmt.one_line(p.description or "", TEXT_WIDTH),
            right(p.amount),
            dimensions(p),
        )
