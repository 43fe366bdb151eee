"""The real data source: Postgres and Redis, through the functions the command line uses too."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import asyncpg
import redis

from shared import audit, jobs, orgs, status, traffic
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import create_pool
from shared.db.queries import Q
from shared.errors import BadInput, TimedOut
from shared.freshness import freshness
from shared.ledger import reports
from shared.models import Method, Provider
from shared.queue import send, sender
from shared.saft import submit as saft_submit
from tui import fleet, rows
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

T = TypeVar("T")

#: timeline lines shown at most
TIMELINE_LINES = 200
#: how long a run of the checks may take in the workers before the UI gives up waiting
CHECKS_TIMEOUT_S = 90.0
#: seconds between looks for the stored run
CHECKS_POLL_S = 0.3


class ReadOnly(BadInput):
    """An action that changes something, asked of a read-only UI."""


class PgSource:
    """Reads and acts on the real system; mutating methods refuse in read-only mode."""

    def __init__(self, settings: Settings, *, read_only: bool = False) -> None:
        settings.require("database_url", "redis_url")
        self.settings = settings
        self.read_only = read_only
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        assert settings.redis_url is not None
        self._redis = redis.Redis.from_url(settings.redis_url)
        self._broker = sender(settings.redis_url)

    async def _connection(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                assert self.settings.database_url is not None
                self._pool = await create_pool(self.settings.database_url, min_size=1, max_size=4)
        return self._pool

    async def _read(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        pool = await self._connection()
        async with pool.acquire() as conn:
            return await work(conn)

    async def _write(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        if self.read_only:
            raise ReadOnly("The UI is read-only (--read-only): nothing may be changed from it.")
        return await self._read(work)

    async def _send(self, actor: str, *args: int | str | None) -> None:
        await asyncio.to_thread(send, self._broker, actor, *args)

    def _cipher(self) -> TokenCipher:
        self.settings.require("secret_key")
        assert self.settings.secret_key is not None
        return TokenCipher(self.settings.secret_key)

    # --- reading ---------------------------------------------------------------------------

    async def overview(self) -> Overview:
        """Every organization with its progress (one home-screen refresh)."""
        found = await self._read(lambda conn: conn.fetch(Q["orgs_overview"]))
        return rows.overview(found, public_url=self.settings.public_url is not None)

    async def system(self) -> SystemView:
        """Workers and queues (Redis; in a thread, since redis-py's client blocks)."""

        def read() -> SystemView:
            return rows.system(status.workers(self._redis), status.queue_depths(self._redis))

        found = await asyncio.to_thread(read)
        stalled = await self._read(status.stalls)
        return replace(found, stalled=tuple(org["name"] for org in stalled))

    async def fleet(self) -> FleetView:
        """The fleet at a glance: the home screen's query, postings per minute (Postgres), and
        the requests the workers counted (Redis, in a thread)."""

        async def read(conn: asyncpg.Connection) -> tuple[Overview, list[asyncpg.Record]]:
            found = await conn.fetch(Q["orgs_overview"])
            public_url = self.settings.public_url is not None
            return rows.overview(found, public_url=public_url), await conn.fetch(
                Q["chunks_done_per_minute"]
            )

        overview, minutes = await self._read(read)
        counted = await asyncio.to_thread(traffic.read, self._redis)
        return fleet.build(overview, minutes, counted)

    async def organization(self, org_id: int) -> OrgDetail | None:
        """One organization with its years and timeline; None once it is gone."""

        async def read(conn: asyncpg.Connection) -> OrgDetail | None:
            org = await conn.fetchrow(Q["org_overview"], org_id)
            if org is None:
                return None
            years = await conn.fetch(Q["years_progress"], org_id)
            timeline = await conn.fetch(Q["audit_timeline"], org_id, TIMELINE_LINES)
            files = []
            if org["method"] == "saft":
                files = await conn.fetch(Q["saft_imports_by_org"], org_id)
            public_url = self.settings.public_url is not None
            kept = (
                await freshness(conn, org, public_url=public_url)
                if org["method"] == "api"
                else None
            )
            return rows.detail(
                org, years, timeline, files, None if kept is None else rows.freshness(kept)
            )

        return await self._read(read)

    async def companies(self, org_id: int) -> Sequence[Company]:
        """The companies the organization's token reaches."""
        found = await self._read(lambda conn: orgs.companies(conn, org_id))
        return [rows.company(item) for item in found]

    async def last_checks(self, org_id: int) -> CheckRunView | None:
        """The organization's last run of the troubleshooting checks."""
        row = await self._read(lambda conn: conn.fetchrow(Q["check_run_last"], org_id))
        return None if row is None else rows.check_run(row)

    async def trial_balance(self, org_id: int, year: int | None) -> TrialBalanceView | None:
        """The stored trial balance of a year (None: the newest held); None once the
        organization is gone."""

        async def read(conn: asyncpg.Connection) -> TrialBalanceView | None:
            org = await conn.fetchrow(Q["org_by_id"], org_id)
            if org is None:
                return None
            at = await conn.fetchval(Q["db_now"])
            years = tuple(await reports.held_years(conn, org_id))
            chosen = year if year in years else (years[0] if years else None)
            found = None if chosen is None else await reports.trial_balance(conn, org, chosen)
            return TrialBalanceView(at, years, found)

        return await self._read(read)

    async def account_months(
        self, org_id: int, account: str, year: int
    ) -> tuple[reports.MonthTotal, ...]:
        """An account's months of a year that hold postings, with their totals."""
        return await self._read(lambda conn: reports.account_months(conn, org_id, account, year))

    async def account_postings(
        self, org_id: int, account: str, month: dt.date
    ) -> tuple[reports.PostingLine, ...]:
        """An account's postings of a month (its first day), with dimensions by name."""
        return await self._read(
            lambda conn: reports.postings(conn, org_id, account=account, month=month)
        )

    async def voucher(self, org_id: int, voucher_id: int) -> reports.Voucher | None:
        """One voucher with its lines; None when no posting carries it."""
        return await self._read(lambda conn: reports.voucher(conn, org_id, voucher_id))

    async def application_name(self) -> str | None:
        """The application name customers type for a token (LEDGERSYNC_APPLICATION_NAME), if set."""
        return self.settings.application_name

    async def run_checks(self, org_id: int) -> CheckRunView:
        """Ask the workers to run the checks; the run once stored (TimedOut if none comes)."""
        before = await self.last_checks(org_id)

        async def write(conn: asyncpg.Connection) -> None:
            await orgs.find(conn, f"#{org_id}")  # gone: BadInput, as `check ORG` says
            await audit.record(conn, "org.check", org_id)

        await self._write(write)
        await self._send("run_checks", org_id)
        deadline = asyncio.get_running_loop().time() + CHECKS_TIMEOUT_S
        while asyncio.get_running_loop().time() < deadline:
            run = await self.last_checks(org_id)
            if run is not None and (before is None or run.id > before.id):
                return run
            await asyncio.sleep(CHECKS_POLL_S)
        raise TimedOut(
            f"No run of the checks arrived within {CHECKS_TIMEOUT_S:g} s; are workers running? "
            "(`ledgersync status` shows them.)"
        )

    # --- acting ----------------------------------------------------------------------------

    async def register(
        self, *, name: str, method: str, provider: str | None, token: str | None
    ) -> int:
        """Register an organization (API: validation starts at once); its id."""
        chosen = Method(method)
        cipher = self._cipher() if token is not None else None

        async def write(conn: asyncpg.Connection) -> int:
            new = orgs.NewOrg(
                name, chosen, provider=Provider(provider) if provider else None, token=token
            )
            return await orgs.register(conn, new, cipher=cipher, broker=self._broker)

        return await self._write(write)

    async def company_choice(self, org_id: int, company_id: int) -> orgs.CompanyChoice:
        """What choosing the company would do (data removed, duplicates), to confirm first."""
        return await self._read(lambda conn: orgs.company_choice(conn, org_id, company_id))

    async def select_company(
        self, org_id: int, company_id: int, *, replace: bool = False, allow_duplicate: bool = False
    ) -> None:
        """Choose the company; the first synchronization starts (confirmed as the choice said)."""
        await self._write(
            lambda conn: orgs.select_company(
                conn,
                org_id,
                company_id,
                orgs.Confirmed(replace=replace, allow_duplicate=allow_duplicate),
                broker=self._broker,
            )
        )

    async def replace_token(self, org_id: int, token: str) -> None:
        """Replace the employee token; validation starts again."""
        cipher, token = self._cipher(), orgs.clean_token(token)
        await self._write(
            lambda conn: orgs.replace_token(conn, org_id, token, cipher, broker=self._broker)
        )

    async def resync(self, org_id: int, year: int | None) -> None:
        """Synchronize again: every year, or one."""
        await self._write(lambda conn: orgs.request_sync(conn, org_id, year, broker=self._broker))

    async def cancel(self, org_id: int) -> None:
        """Stop the organization's synchronization between chunks."""

        async def write(conn: asyncpg.Connection) -> None:
            org = await orgs.find(conn, f"#{org_id}")
            await orgs.cancel(conn, org, actor=getpass.getuser())

        await self._write(write)

    async def resume(self, org_id: int) -> None:
        """Let a cancelled organization synchronize again, from where it stopped."""

        async def write(conn: asyncpg.Connection) -> None:
            org = await orgs.find(conn, f"#{org_id}")
            await orgs.resume(conn, org, actor=getpass.getuser(), broker=self._broker)

        await self._write(write)

    async def remove(self, org_id: int) -> None:
        """Remove the organization and all its data."""
        await self._write(lambda conn: orgs.remove(conn, org_id))

    async def import_saft(self, org_id: int, path: Path) -> int:
        """Check the SAF-T file, copy it where the workers read it, queue its import; its id."""

        async def write(conn: asyncpg.Connection) -> int:
            upload = saft_submit.Upload(org_id, [path], actor=getpass.getuser())
            return await saft_submit.submit_file(conn, self._broker, self.settings, upload)

        return await self._write(write)

    # --- jobs ------------------------------------------------------------------------------

    async def failures(self, *, state: str | None, org_id: int | None) -> FailuresView:
        """Jobs in a state (None: all), of one organization or all, and work that looks stuck."""

        async def read(conn: asyncpg.Connection) -> FailuresView:
            found = await jobs.list_jobs(conn, state=state, org_id=org_id)
            stuck = await jobs.stuck_chunks(conn)
            return FailuresView(await conn.fetchval(Q["db_now"]), tuple(found), tuple(stuck))

        return await self._read(read)

    async def retry_jobs(
        self, job_ids: Sequence[int] | None, *, org_id: int | None, include_permanent: bool = False
    ) -> list[int]:
        """Retry these failed jobs (None: every failed one, of `org_id` if given, permanent
        failures only if `include_permanent`), as `jobs retry` does; audited."""

        async def write(conn: asyncpg.Connection) -> list[int]:
            if org_id is not None:
                await orgs.find(conn, f"#{org_id}")  # gone: BadInput, as `--org` says
            ids = None if job_ids is None else tuple(job_ids)
            scope = jobs.RetryScope(ids, org_id, include_permanent)
            return await jobs.retry_jobs(conn, self._broker, scope, actor=getpass.getuser())

        return await self._write(write)

    async def close(self) -> None:
        """Release connections."""
        if self._pool is not None:
            await self._pool.close()
        self._broker.close()
        self._redis.close()
