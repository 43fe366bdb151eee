"""`ledgersync saft import ORG FILE... [--wait]`: onboard an organization from its SAF-T file."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import click

from cli.common import EXIT_FAILED, EXIT_TIMED_OUT, fail, print_json, run_async, servers
from shared import orgs
from shared.config import Settings
from shared.db import connect
from shared.queue import sender
from shared.saft.submit import Submission, Upload, check_files, import_status, submit

#: seconds between looks at the import while waiting
POLL_S = 0.5
#: seconds between progress lines when stderr is not a terminal
LOG_EVERY_S = 5.0
MB = 2**20


@click.group()
def saft() -> None:
    """SAF-T Financial files: a company's general ledger, for organizations without API access."""


@saft.command("import")
@click.argument("ref", metavar="ORG")
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path())
@click.option("--wait", is_flag=True, help="Show progress until the import ends.")
@click.option("--timeout", type=float, default=3600.0, show_default=True, help="Seconds to wait.")
@click.option(
    "--json", "as_json", is_flag=True, help="With --wait: the import as one JSON document."
)
def saft_import(
    ref: str, files: tuple[str, ...], wait: bool, timeout: float, as_json: bool
) -> None:
    """Validate and import a SAF-T Financial file (or every part of a split one).

    Exit codes with --wait: 0 imported, 2 the file was refused (the sentence says why), 1 the
    import failed otherwise, 3 still running at the timeout.
    """
    paths = [Path(f) for f in files]
    check_files(paths)  # the cheap checks, before any server is started
    with servers(need_redis=True) as settings:
        submission = run_async(lambda: _submit(settings, ref, paths))
        if not wait:
            click.echo(submission.import_id)
            verb = "is already imported" if submission.already else "is queued"
            click.echo(f"{paths[0].name} {verb} (import #{submission.import_id}).", err=True)
            return
        status = run_async(lambda: _wait(settings, submission.import_id, timeout))
    conclude(status, submission, timeout, as_json)


async def _submit(settings: Settings, ref: str, paths: list[Path]) -> Submission:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    conn = await connect(settings.database_url)
    broker = sender(settings.redis_url)
    try:
        org_id = int((await orgs.find(conn, ref))["id"])
        return await submit(conn, broker, settings, Upload(org_id, paths))
    finally:
        broker.close()
        await conn.close()


async def _wait(settings: Settings, import_id: int, within: float) -> dict[str, Any]:
    assert settings.database_url is not None
    conn = await connect(settings.database_url)
    deadline = time.monotonic() + within
    shown, shown_at = "", time.monotonic()  # without a terminal: a line every LOG_EVERY_S
    try:
        while True:
            status = await import_status(conn, import_id)
            if status["state"] not in ("queued", "running") or time.monotonic() >= deadline:
                _progress_done(shown)
                return status
            line = progress_line(status)
            now = time.monotonic()
            if sys.stderr.isatty():
                click.echo(f"\r{line}\033[K", nl=False, err=True)
                shown = line
            elif line != shown and now - shown_at >= LOG_EVERY_S:
                click.echo(line, err=True)
                shown, shown_at = line, now
            await asyncio.sleep(POLL_S)
    finally:
        await conn.close()


def _progress_done(shown: str) -> None:
    if shown and sys.stderr.isatty():
        click.echo(err=True)


def progress_line(status: dict[str, Any]) -> str:
    """One line: the state, bytes read, transactions and postings per year."""
    if status["state"] == "queued":
        return f"{status['file_name']}: waiting for a worker"
    total = max(status["bytes_total"], 1)
    years = ", ".join(f"{y}: {c['postings']:,}" for y, c in sorted(status["years"].items()))
    return (
        f"{status['file_name']}: {status['bytes_read'] / MB:,.1f} of {total / MB:,.1f} MB "
        f"({100 * status['bytes_read'] / total:.0f} %), {status['transactions_read']:,} "
        f"transactions, {status['postings_read']:,} postings" + (f" ({years})" if years else "")
    )


def conclude(status: dict[str, Any], submission: Submission, timeout: float, as_json: bool) -> None:
    """Report how a waited-for import ended; exit with the contract's code unless it is done."""
    state = status["state"]
    if as_json:
        print_json(status)
    if state == "invalid":
        fail(status["error"])
    if state == "failed":
        fail(status["error"] or "The import failed; see `ledgersync org show`.", EXIT_FAILED)
    if state != "done":
        fail(
            f"Import #{status['id']} of {status['file_name']} is still {state} after "
            f"{timeout:g} s; `ledgersync org wait {status['org_name']}` waits longer.",
            EXIT_TIMED_OUT,
        )
    if as_json:
        return
    if submission.already:
        click.echo(
            f"{status['file_name']} is already imported into {status['org_name']}; nothing changed."
        )
        return
    click.echo(
        f"Imported {status['file_name']} into {status['org_name']}: it replaces "
        f"{status['period_start']}..{status['period_end']}, where "
        f"{status['postings_replaced']:,} earlier postings were removed and "
        f"{status['postings_read']:,} postings of {status['transactions_read']:,} transactions "
        "added."
    )
    for warning in status["warnings"]:
        click.echo(f"Warning: {warning}")
