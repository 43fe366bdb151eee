"""`ledgersync jobs …`: jobs that failed, why, and retrying them (one, several, or all)."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TypeVar

import asyncpg
import click

from cli.common import IdType, fail, print_json, run_async, servers
from cli.tables import print_table
from shared import jobs as jobs_api
from shared import orgs
from shared.db import connect
from shared.errors import BadInput
from shared.queue import sender

T = TypeVar("T")

#: longest error shown in a table cell (`jobs show` and --json have it whole)
ERROR_CELL_CHARS = 70
#: the --state values: a job state, failed + retrying, or every job
STATE_CHOICES = ("unresolved", *(s.value for s in jobs_api.JobState), "all")


def _on_db(
    work: Callable[[asyncpg.Connection, str], Awaitable[T]], *, need_redis: bool = False
) -> T:
    """Run `work` with a connection and the Redis URL of the (embedded or configured) servers."""
    with servers(need_redis=need_redis) as settings:
        assert settings.database_url is not None
        assert settings.redis_url is not None
        database_url, redis_url = settings.database_url, settings.redis_url

        async def run() -> T:
            conn = await connect(database_url)
            try:
                return await work(conn, redis_url)
            finally:
                await conn.close()

        return run_async(run)


async def _org_id(conn: asyncpg.Connection, ref: str | None) -> int | None:
    return None if ref is None else int((await orgs.find(conn, ref))["id"])


def age(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long ago, in the largest whole unit: 42s, 5m, 3h, 2d."""
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - when).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def next_try(job: jobs_api.Job, now: dt.datetime) -> str:
    """When a job waiting for a retry runs again: `in 42s`, `due`; empty for any other job."""
    if job.state != jobs_api.JobState.RETRYING or job.next_retry_at is None:
        return ""
    seconds = (job.next_retry_at - now).total_seconds()
    return "due" if seconds < 1 else "in " + age(now - dt.timedelta(seconds=seconds), now)


def _cell(text: str) -> str:
    return text if len(text) <= ERROR_CELL_CHARS else text[: ERROR_CELL_CHARS - 1] + "…"


@click.group()
def jobs() -> None:
    """Jobs that failed: see why, and retry them."""


@jobs.command("list")
@click.option("--state", type=click.Choice(STATE_CHOICES), default="unresolved", show_default=True)
@click.option("--org", "org_ref", metavar="ORG", help="Only this organization's jobs.")
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def jobs_list(state: str, org_ref: str | None, limit: int, as_json: bool) -> None:
    """Jobs with their state, attempts and last error, last failed first."""

    async def work(conn: asyncpg.Connection, _: str) -> list[jobs_api.Job]:
        org_id = await _org_id(conn, org_ref)
        chosen = None if state == "all" else state
        return await jobs_api.list_jobs(conn, state=chosen, org_id=org_id, limit=limit)

    found = _on_db(work)
    if as_json:
        print_json([job.to_json() for job in found])
        return
    now = dt.datetime.now(dt.UTC)
    print_table(
        [
            "ID",
            "ORG",
            "ACTOR",
            "YEAR",
            "RANGE",
            "STATE",
            "NEXT TRY",
            "ATTEMPTS",
            "STOPPED",
            "FAILED",
            "ERROR",
        ],
        [
            [
                j.id,
                j.org_name or j.org_id or "",
                j.actor,
                j.year or "",
                j.range or "",
                j.state,
                next_try(j, now),
                j.attempts,
                j.stop_reason or "",
                age(j.failed_at, now) + " ago",
                _cell(j.error),
            ]
            for j in found
        ],
    )


@jobs.command("show")
@click.argument("job_id", metavar="JOB", type=IdType("A job id"))
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def jobs_show(job_id: int, as_json: bool) -> None:
    """One job: its last error with the traceback, and every failed attempt."""

    async def work(conn: asyncpg.Connection, _: str) -> tuple[jobs_api.Job, list[jobs_api.Attempt]]:
        job = await jobs_api.get_job(conn, job_id)
        if job is None:
            raise BadInput(f"No job {job_id}; `ledgersync jobs list --state all` shows them.")
        return job, await jobs_api.job_attempts(conn, job_id)

    job, attempts = _on_db(work)
    if as_json:
        print_json(job.to_json(traceback=True) | {"attempts_log": [asdict(a) for a in attempts]})
        return
    where = ", ".join(
        part
        for part in (
            job.org_name and f"organization {job.org_name} (#{job.org_id})",
            job.year and f"year {job.year}",
            job.chunk_id and " ".join(filter(None, ("chunk", job.range, f"(#{job.chunk_id})"))),
        )
        if part
    )
    click.echo(f"Job {job.id}: {job.actor}{' for ' + where if where else ''}")
    stopped = f" ({job.stop_reason})" if job.stop_reason else ""
    retry = next_try(job, dt.datetime.now(dt.UTC))
    click.echo(
        f"State: {job.state}{stopped}, {job.attempts} attempt(s) failed"
        + (f"; next try {retry} ({job.next_retry_at:%Y-%m-%d %H:%M:%S %Z})" if retry else "")
    )
    click.echo(f"Last error ({age(job.failed_at)} ago): {job.error_class}: {job.error}")
    print_table(
        ["ATTEMPT", "FAILED", "OUTCOME", "ERROR"],
        [[a.attempt, age(a.failed_at) + " ago", a.outcome, _cell(a.error)] for a in attempts],
    )
    if job.traceback:
        click.echo("\n" + job.traceback.rstrip())


@jobs.command("retry")
@click.argument("job_ids", metavar="JOB...", nargs=-1, type=IdType("A job id"))
@click.option("--all", "retry_all", is_flag=True, help="Every failed job (of --org, if given).")
@click.option("--org", "org_ref", metavar="ORG", help="With --all: only this organization's.")
@click.option(
    "--include-permanent",
    is_flag=True,
    help="With --all: permanent failures too (a revoked token, bad input), which --all skips.",
)
def jobs_retry(
    job_ids: tuple[int, ...], retry_all: bool, org_ref: str | None, include_permanent: bool
) -> None:
    """Retry failed jobs: attempts start again from zero, and their work is sent again."""
    if retry_all == bool(job_ids):
        fail("Name the jobs to retry (`ledgersync jobs list` shows them), or pass --all.")
    if (org_ref is not None or include_permanent) and not retry_all:
        fail("--org and --include-permanent go with --all; to retry particular jobs, name them.")

    async def work(conn: asyncpg.Connection, redis_url: str) -> tuple[list[int], tuple[int, ...]]:
        org_id = await _org_id(conn, org_ref)
        broker = sender(redis_url)
        try:
            scope = jobs_api.RetryScope(None if retry_all else job_ids, org_id, include_permanent)
            retried = await jobs_api.retry_jobs(conn, broker, scope, actor=getpass.getuser())
        finally:
            broker.close()
        if include_permanent or not retry_all:
            return retried, ()
        return retried, (await jobs_api.failed_ids(conn, org_id)).permanent

    retried, permanent = _on_db(work, need_redis=True)
    scope = f" of {org_ref}" if org_ref else ""
    if retried:
        shown = ", ".join(str(job_id) for job_id in retried)
        click.echo(f"Retried {len(retried)} job(s){scope}: {shown}.")
    elif retry_all:
        click.echo(
            f"No failed jobs{scope} to retry" + (" but permanent ones." if permanent else ".")
        )
    else:
        click.echo("Nothing to retry: those jobs are resolved already.")
    if permanent:
        click.echo(
            f"Left alone {len(permanent)} permanent failure(s), which fail again until their "
            f"cause is fixed (a revoked token, bad input): {', '.join(map(str, permanent))}. "
            "Fix the cause, then retry them by id or with --all --include-permanent."
        )
    skipped = [job_id for job_id in job_ids if job_id not in retried]
    if skipped:
        click.echo(f"Left alone (resolved already): {', '.join(map(str, skipped))}.")
