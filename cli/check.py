"""`ledgersync check ORG`: run the troubleshooting checks in-process, print and store them.

`--message` prints, instead of the checklist, the ready-to-send message for the customer
(`shared.customer_message`), in Norwegian unless `--lang en`; when nothing is the customer's to
fix, one sentence on stderr says so. The exit code is the checks' either way.
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import click

from cli.common import EXIT_FAILED, EXIT_OK, print_json, run_async, servers
from shared import orgs
from shared.checks import SYMBOLS, TITLES, Check, CheckStatus, all_clear
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.customer_message import DEFAULT_LANG, compose, why_no_message
from shared.customer_words import Lang
from shared.db import connect
from shared.help_pages import url_of, with_urls
from worker.checks.runner import Checker, check_org
from worker.checks.store import CheckRun, Trigger


@click.command("check")
@click.argument("ref", metavar="ORG")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option(
    "--message",
    is_flag=True,
    help="Print the ready-to-send message for the customer (subject and body) instead of the "
    "checklist; when nothing is the customer's to fix, say so on stderr.",
)
@click.option(
    "--lang",
    type=click.Choice([lang.value for lang in Lang]),
    default=None,
    help="The message's language: nb (Norwegian bokmål, the default) or en. Needs --message.",
)
def check(ref: str, as_json: bool, message: bool, lang: str | None) -> None:
    """Run the troubleshooting checks; exit 0 when none fails, 1 otherwise."""
    if lang is not None and not message:
        raise click.UsageError("--lang chooses the message's language: use it with --message.")
    with servers() as settings:
        name, run = run_async(lambda: _run(settings, ref))
    results = list(run.results)
    if message:
        _print_message(
            name, settings.application_name, results, Lang(lang or DEFAULT_LANG), as_json
        )
    elif as_json:
        print_json([result_json(result) for result in results])
    else:
        click.echo("\n".join(checklist(results)))
    sys.exit(EXIT_OK if all_clear(results) else EXIT_FAILED)


def _print_message(
    name: str, application: str | None, results: list[Check], lang: Lang, as_json: bool
) -> None:
    """The customer's message on stdout, or why there is none on stderr."""
    found = compose(name, application, results, lang)
    if found is None:
        click.echo(why_no_message(results), err=True)
        if as_json:
            print_json(None)
    elif as_json:
        print_json({"lang": found.lang.value, "subject": found.subject, "body": found.body})
    else:
        click.echo(found.text, nl=False)


async def _run(settings: Settings, ref: str) -> tuple[str, CheckRun]:
    """Find the organization, run its checks against Tripletex, store the run; its name too."""
    assert settings.database_url is not None
    cipher = TokenCipher(settings.secret_key) if settings.secret_key else None
    conn = await connect(settings.database_url)
    try:
        org = await orgs.find(conn, ref)
        async with aiohttp.ClientSession() as http:
            checker = Checker(http, settings, cipher)
            run = await check_org(conn, checker, int(org["id"]), trigger=Trigger.COMMAND)
        return str(org["name"]), run
    finally:
        await conn.close()


def result_json(result: Check) -> dict[str, Any]:
    """The contract's `{name, status, message, help}`, with the help pages' addresses in `links`."""
    links = [{"title": t, "url": url} for t in result.help if (url := url_of(t))]
    return result.to_json() | {"links": links}


def checklist(results: list[Check]) -> list[str]:
    """The readable checklist: a line per check, its help (with addresses) indented below it."""
    lines = []
    for result in results:
        lines.append(f"{SYMBOLS[result.status]} {TITLES[result.name]}: {result.message}")
        if result.help and result.status is not CheckStatus.PASS:
            lines.append(f"    Help: {'; '.join(with_urls(result.help))}")
    return lines
