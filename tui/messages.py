"""Messages the refresh workers post to their screens; a backlog of refreshes collapses into one."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from shared.ledger.reports import MonthTotal, PostingLine, Voucher
from tui.views import (
    CheckRunView,
    FailuresView,
    FleetView,
    OrgDetail,
    Overview,
    SystemView,
    TrialBalanceView,
)


@dataclass
class OverviewRefreshed(Message, bubble=False):
    """New data for the home table."""

    overview: Overview

    def can_replace(self, message: Message) -> bool:
        """A newer overview makes an older one waiting in the queue pointless."""
        return isinstance(message, OverviewRefreshed)


@dataclass
class SystemRefreshed(Message, bubble=False):
    """New workers and queues for the header."""

    system: SystemView

    def can_replace(self, message: Message) -> bool:
        """Only the newest matters."""
        return isinstance(message, SystemRefreshed)


@dataclass
class DetailRefreshed(Message, bubble=False):
    """New data for an organization's screen; None when it was removed."""

    detail: OrgDetail | None

    def can_replace(self, message: Message) -> bool:
        """Only the newest matters."""
        return isinstance(message, DetailRefreshed)


@dataclass
class ChecksRefreshed(Message, bubble=False):
    """The last stored run of the checks."""

    run: CheckRunView | None

    def can_replace(self, message: Message) -> bool:
        """Only the newest matters."""
        return isinstance(message, ChecksRefreshed)


@dataclass
class FailuresRefreshed(Message, bubble=False):
    """New data for the Jobs screen."""

    failures: FailuresView

    def can_replace(self, message: Message) -> bool:
        """Only the newest matters."""
        return isinstance(message, FailuresRefreshed)


@dataclass
class FleetRefreshed(Message, bubble=False):
    """New data for the fleet view."""

    fleet: FleetView

    def can_replace(self, message: Message) -> bool:
        """Only the newest matters."""
        return isinstance(message, FleetRefreshed)


@dataclass
class TrialBalanceRefreshed(Message, bubble=False):
    """New data for the trial-balance screen; None when the organization was removed."""

    view: TrialBalanceView | None

    def can_replace(self, message: Message) -> bool:
        """Only the newest matters."""
        return isinstance(message, TrialBalanceRefreshed)


@dataclass
class MonthsRefreshed(Message, bubble=False):
    """An account's months of a year with their totals."""

    months: tuple[MonthTotal, ...]


@dataclass
class PostingsRefreshed(Message, bubble=False):
    """An account's postings of one month."""

    postings: tuple[PostingLine, ...]

    def can_replace(self, message: Message) -> bool:
        """Only the newest month asked for matters."""
        return isinstance(message, PostingsRefreshed)


@dataclass
class VoucherLoaded(Message, bubble=False):
    """One voucher's lines; None when no posting carries it any more."""

    voucher: Voucher | None
