"""The data source the UI is given: everything it reads and every action it takes.

`tui.pg_source.PgSource` is the real one (Postgres, Redis, the shared functions the command line
uses); tests inject an in-memory one. Every method is a coroutine, called from Textual workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from shared.ledger.reports import MonthTotal, PostingLine, Voucher
from shared.orgs import CompanyChoice
from tui.views import (
    CheckRunView,
    Company,
    FailuresView,
    FleetView,
    OrgDetail,
    Overview,
    SystemView,
    TrialBalanceView,
)


class Source(Protocol):
    """What the terminal UI reads and does; mutating methods record who did it."""

    async def overview(self) -> Overview:
        """Every organization with its progress (one home-screen refresh)."""

    async def system(self) -> SystemView:
        """Workers and queues."""

    async def fleet(self) -> FleetView:
        """The fleet at a glance: rates over the last hour, states, waits, tokens, ETA."""

    async def organization(self, org_id: int) -> OrgDetail | None:
        """One organization with its years and timeline; None once it is gone."""

    async def companies(self, org_id: int) -> Sequence[Company]:
        """The companies the organization's token reaches."""

    async def last_checks(self, org_id: int) -> CheckRunView | None:
        """The organization's last run of the troubleshooting checks."""

    async def run_checks(self, org_id: int) -> CheckRunView:
        """Run the checks (in the workers) and return the run once stored."""

    async def trial_balance(self, org_id: int, year: int | None) -> TrialBalanceView | None:
        """The stored trial balance of a year (None: the newest held); None once the
        organization is gone."""

    async def account_months(self, org_id: int, account: str, year: int) -> tuple[MonthTotal, ...]:
        """An account's months of a year that hold postings, with their totals."""

    async def account_postings(
        self, org_id: int, account: str, month: dt.date
    ) -> tuple[PostingLine, ...]:
        """An account's postings of a month (its first day), with dimensions by name."""

    async def voucher(self, org_id: int, voucher_id: int) -> Voucher | None:
        """One voucher with its lines; None when no posting carries it."""

    async def application_name(self) -> str | None:
        """The application name customers type for a token (LEDGERSYNC_APPLICATION_NAME), if set."""

    async def register(
        self, *, name: str, method: str, provider: str | None, token: str | None
    ) -> int:
        """Register an organization (API: validation starts at once); its id."""

    async def company_choice(self, org_id: int, company_id: int) -> CompanyChoice:
        """What choosing the company would do (data removed, duplicates), to confirm first."""

    async def select_company(
        self, org_id: int, company_id: int, *, replace: bool = False, allow_duplicate: bool = False
    ) -> None:
        """Choose the company; the first synchronization starts (confirmed as the choice said)."""

    async def replace_token(self, org_id: int, token: str) -> None:
        """Replace the employee token; validation starts again."""

    async def resync(self, org_id: int, year: int | None) -> None:
        """Synchronize again: every year, or one."""

    async def cancel(self, org_id: int) -> None:
        """Stop the organization's synchronization between chunks."""

    async def resume(self, org_id: int) -> None:
        """Let a cancelled organization synchronize again, from where it stopped."""

    async def remove(self, org_id: int) -> None:
        """Remove the organization and all its data."""

    async def import_saft(self, org_id: int, path: Path) -> int:
        """Check a SAF-T Financial file and queue its import for the organization; its id."""

    async def failures(self, *, state: str | None, org_id: int | None) -> FailuresView:
        """Jobs in a state (None: all), of one organization or all, and work that looks stuck."""

    async def retry_jobs(
        self, job_ids: Sequence[int] | None, *, org_id: int | None, include_permanent: bool = False
    ) -> list[int]:
        """Retry these failed jobs (None: every failed one, of `org_id` if given, permanent
        failures only if `include_permanent`); the ids sent. BadInput if `org_id` is gone."""

    async def close(self) -> None:
        """Release connections."""
