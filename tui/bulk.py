"""Bulk actions of the home screen: which marked organizations an action applies to, the one
question asked before it, doing it through the source, and the one sentence said after it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog

from shared.checks import CheckStatus
from shared.errors import AppError
from shared.jobs import Job, is_permanent
from tui.screens.confirm import Option
from tui.source import Source
from tui.views import CheckRunView, OrgRow

logger = structlog.get_logger(__name__)

#: organizations a question names one by one; the rest are counted
LISTED = 12


@dataclass(frozen=True, slots=True)
class Bulk:
    """One action on several organizations."""

    #: `sync`, `checks` or `retry`
    name: str
    #: the question, given the count of organizations
    ask: str
    #: the confirm button
    yes: str
    #: the sentence once done, given the count of organizations
    done: str
    #: which organizations it applies to, and why the others are left out
    applies: Callable[[OrgRow], bool]
    left_out: str


SYNC = Bulk(
    "sync",
    "Synchronize {n} again?",
    "Sync",
    "Synchronizing {n} again",
    lambda row: row.method == "api" and row.company is not None,
    "no company chosen yet, or updated by SAF-T files",
)
CHECKS = Bulk(
    "checks",
    "Run the troubleshooting checks of {n}?",
    "Run checks",
    "Checks ran for {n}",
    lambda row: row.method == "api",
    "SAF-T organizations have no checks",
)
RETRY = Bulk(
    "retry",
    "Retry {jobs} of {n}?",
    "Retry",
    "Retried {jobs} of {n}",
    lambda row: True,
    "no failed jobs",
)


def plural(count: int, word: str) -> str:
    """`1 organization`, `3 organizations`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def names(rows: Sequence[OrgRow]) -> str:
    """`A, B and C`."""
    shown = [row.name for row in rows]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def listing(rows: Sequence[OrgRow], notes: Mapping[int, str] | None = None) -> list[str]:
    """One line per organization (the first `LISTED`), with a note where given."""
    lines = [
        f"  • {row.name} (#{row.id}){': ' + notes[row.id] if notes and row.id in notes else ''}"
        for row in rows[:LISTED]
    ]
    if len(rows) > LISTED:
        lines.append(f"  … and {len(rows) - LISTED} more")
    return lines


def question(bulk: Bulk, rows: Sequence[OrgRow], left: Sequence[OrgRow]) -> str:
    """Sync or checks: what will happen, to which organizations, and who is left out."""
    lines = [bulk.ask.format(n=plural(len(rows), "organization")), *listing(rows)]
    if left:
        lines.append(f"Left out ({bulk.left_out}): {names(left)}.")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """The failed jobs of the marked organizations: those a retry may fix, and the permanent."""

    rows: tuple[OrgRow, ...]
    retryable: Mapping[int, int]
    permanent: Mapping[int, int]

    @classmethod
    def of(cls, rows: Sequence[OrgRow], failed: Sequence[Job]) -> RetryPlan:
        """The plan for `rows`, from the failed jobs (of every organization)."""
        retryable: dict[int, int] = {}
        permanent: dict[int, int] = {}
        for job in failed:
            if job.org_id is not None and job.state == "failed":
                into = permanent if is_permanent(job) else retryable
                into[job.org_id] = into.get(job.org_id, 0) + 1
        having = tuple(row for row in rows if row.id in retryable or row.id in permanent)
        return cls(having, retryable, permanent)

    def count(self, include_permanent: bool) -> int:
        """Jobs a retry would send again."""
        extra = sum(self.permanent.values()) if include_permanent else 0
        return sum(self.retryable.values()) + extra

    def question(self, include_permanent: bool, left: Sequence[OrgRow]) -> str:
        """How many jobs of which organizations, and what is left alone."""
        jobs = plural(self.count(include_permanent), "failed job")
        ask = RETRY.ask.format(jobs=jobs, n=plural(len(self.rows), "organization"))
        if include_permanent:
            ask = ask.removesuffix("?") + ", permanent failures included?"
        notes = {row.id: self._note(row.id, include_permanent) for row in self.rows}
        lines = [ask, *listing(self.rows, notes)]
        if left:
            lines.append(f"Left out ({RETRY.left_out}): {names(left)}.")
        permanent = sum(self.permanent.values())
        if permanent and not include_permanent:
            many = permanent != 1
            lines.append(
                f"{plural(permanent, 'permanent failure')} (a revoked token, bad input) would "
                f"fail again until {'their' if many else 'its'} cause is fixed, so "
                f"{'they are' if many else 'it is'} left alone."
            )
        return "\n".join(lines)

    def option(self, left: Sequence[OrgRow]) -> Option | None:
        """`a` in the question: the permanent failures too (where there are any)."""
        permanent = sum(self.permanent.values())
        if not permanent:
            return None
        return Option(
            self.question(True, left),
            f"a: retry the permanent failure{'s' if permanent != 1 else ''} too",
            "a: leave the permanent failures alone",
        )

    def _note(self, org_id: int, include_permanent: bool) -> str:
        retryable, permanent = self.retryable.get(org_id, 0), self.permanent.get(org_id, 0)
        if include_permanent:
            return plural(retryable + permanent, "job")
        alone = f"{plural(permanent, 'permanent failure')}, left alone" if permanent else ""
        if not retryable:
            return alone
        return plural(retryable, "job") + (f" ({alone})" if alone else "")


@dataclass(frozen=True, slots=True)
class Said:
    """How a bulk action went: one sentence, and whether it failed for some."""

    text: str
    partial: bool


async def run(
    source: Source, bulk: Bulk, rows: Sequence[OrgRow], *, include_permanent: bool = False
) -> Said:
    """Do `bulk` for every organization (at once); the sentence that says how it went."""

    async def one(row: OrgRow) -> object:
        if bulk is SYNC:
            await source.resync(row.id, None)
            return None
        if bulk is CHECKS:
            return await source.run_checks(row.id)
        return await source.retry_jobs(None, org_id=row.id, include_permanent=include_permanent)

    results = await asyncio.gather(*(one(row) for row in rows), return_exceptions=True)
    failed: list[str] = []
    done: list[tuple[OrgRow, object]] = []
    for row, result in zip(rows, results, strict=True):
        if isinstance(result, BaseException):
            failed.append(f"{row.name} ({await _why(source, row, result)})")
        else:
            done.append((row, result))
    jobs = sum(len(r) for _, r in done if isinstance(r, list))
    said = bulk.done.format(n=plural(len(done), "organization"), jobs=plural(jobs, "job"))
    if bulk is CHECKS and done:
        failing = [row for row, ran in done if isinstance(ran, CheckRunView) and _fails(ran)]
        said += f", {len(failing)} with failures" + (f" ({names(failing)})" if failing else "")
    return Said(said + (f"; not for {', '.join(failed)}." if failed else "."), bool(failed))


def _fails(ran: CheckRunView) -> bool:
    return any(check.status == CheckStatus.FAIL for check in ran.results)


async def _why(source: Source, row: OrgRow, error: BaseException) -> str:
    """Why the action failed for one organization, in a few words."""
    if await source.organization(row.id) is None:
        return "removed meanwhile"
    if isinstance(error, AppError):
        return str(error).rstrip(".")
    logger.error("tui_bulk_failed", org_id=row.id, exc_info=error)
    return f"{type(error).__name__}, details in the log file"
