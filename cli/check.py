"""`ledgersync check ORG`: run the troubleshooting checks in-process, print and store them."""

from __future__ import annotations

import sys

import aiohttp
import click

from cli.common import EXIT_FAILED, EXIT_OK, print_json, run_async, servers
from shared import orgs
from shared.checks import SYMBOLS, TITLES, Check, CheckStatus, all_clear
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import connect
from worker.checks_runner import check_org
from worker.checks_store import CheckRun, Trigger


@click.command("check")
@click.argument("ref", metavar="ORG")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def check(ref: str, as_json: bool) -> None:
    """Run the troubleshooting checks; exit 0 when none fails, 1 otherwise."""
    with servers() as settings:
        run = run_async(lambda: _run(settings, ref))
    results = list(run.results)
    if as_json:
        print_json([result.to_json() for result in results])
    else:
        click.echo("\n".join(checklist(results)))
    sys.exit(EXIT_OK if all_clear(results) else EXIT_FAILED)


async def _run(settings: Settings, ref: str) -> CheckRun:
    """Find the organization, run its checks against Tripletex, store the run."""
    assert settings.database_url is not None
    cipher = TokenCipher(settings.secret_key) if settings.secret_key else None
    conn = await connect(settings.database_url)
    try:
        org_id = int((await orgs.find(conn, ref))["id"])
        async with aiohttp.ClientSession() as http:
            return await check_org(conn, http, settings, cipher, org_id, trigger=Trigger.COMMAND)
    finally:
        await conn.close()


def checklist(results: list[Check]) -> list[str]:
    """The readable checklist: a line per check, its help indented below it."""
    lines = []
    for result in results:
        lines.append(f"{SYMBOLS[result.status]} {TITLES[result.name]}: {result.message}")
        if result.help and result.status is not CheckStatus.PASS:
            lines.append(f"    Help: {'; '.join(result.help)}")
    return lines
