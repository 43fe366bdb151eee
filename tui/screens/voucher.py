"""Enter on a posting: its whole voucher, every line with account, amount and dimensions."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from shared.ledger.reports import Voucher, debit_credit
from tui import format as fmt
from tui.messages import VoucherLoaded
from tui.source import Source
from tui.widgets.posting_table import PostingTable


def title(voucher: Voucher) -> str:
    """`Voucher 1 (2024) · Utgående faktura · Faktura 1001`."""
    number = voucher.number or f"#{voucher.voucher_id}"
    year = f" ({voucher.year})" if voucher.year else ""
    parts = [f"Voucher {number}{year}", voucher.voucher_type, voucher.description]
    return " · ".join(part for part in parts if part)


class VoucherScreen(ModalScreen[None]):
    """One voucher's lines, over the screen it was opened from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", key_display="esc"),
    ]

    def __init__(self, source: Source, org_id: int, voucher_id: int) -> None:
        super().__init__()
        self.source = source
        self.org_id = org_id
        self.voucher_id = voucher_id

    def compose(self) -> ComposeResult:
        """Title, lines, totals."""
        with Vertical(id="voucher-box", classes="modal-box"):
            yield Label(f"Voucher #{self.voucher_id}…", id="voucher-title", classes="modal-title")
            yield PostingTable(accounts=True, id="voucher-lines")
            yield Label("", id="voucher-total", classes="hint")
            yield Label("esc closes", classes="hint")

    def on_mount(self) -> None:
        """Read the voucher."""
        self.query_one(PostingTable).focus()
        self._load()

    @work(exclusive=True, group="voucher", exit_on_error=False)
    async def _load(self) -> None:
        found = await self.source.voucher(self.org_id, self.voucher_id)
        self.post_message(VoucherLoaded(found))

    def on_voucher_loaded(self, message: VoucherLoaded) -> None:
        """Show the lines; a voucher gone meanwhile closes the dialog."""
        voucher = message.voucher
        if voucher is None:
            self.notify(f"Voucher #{self.voucher_id} is no longer held.", severity="warning")
            self.dismiss()
            return
        self.query_one("#voucher-title", Label).update(Text(title(voucher)))
        self.query_one(PostingTable).show_postings(voucher.postings)
        debit, credit = debit_credit(voucher.postings)
        balance = "balances" if debit == credit else f"is off by {fmt.money(debit - credit)}"
        self.query_one("#voucher-total", Label).update(
            Text(
                f"{len(voucher.postings)} line(s): debit {fmt.money(debit)}, "
                f"credit {fmt.money(credit)}; the voucher {balance}."
            )
        )
