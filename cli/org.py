"""`ledgersync org …`: register organizations, choose companies, sync, wait, remove."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import click
from dramatiq.brokers.redis import RedisBroker

from cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMED_OUT,
    IdType,
    fail,
    print_json,
    run_async,
    servers,
)
from cli.tables import print_table
from shared import orgs
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db import connect
from shared.db.queries import Q
from shared.freshness import freshness
from shared.models import Method, OrgState, Provider
from shared.queue import sender

T = TypeVar("T")

#: bytes read from standard input at most: a token and blanks around it, or clearly too much
STDIN_LIMIT = 2 * orgs.MAX_TOKEN_BYTES + 1

#: seconds between looks at the database while waiting
WAIT_POLL_S = 0.5


def _with_db(work: Callable[[asyncpg.Connection, Settings], Awaitable[T]]) -> T:
    """Run `work` with a connection to the (embedded or configured) database."""
    with servers() as settings:
        return _on_db(settings, work)


def _on_db(settings: Settings, work: Callable[[asyncpg.Connection, Settings], Awaitable[T]]) -> T:
    """Run `work` with a connection, on servers the caller already holds."""
    url = settings.database_url
    assert url is not None

    async def run() -> T:
        conn = await connect(url)
        try:
            return await work(conn, settings)
        finally:
            await conn.close()

    return run_async(run)


def _cipher(settings: Settings) -> TokenCipher:
    settings.require("secret_key")
    assert settings.secret_key is not None
    return TokenCipher(settings.secret_key)


def _sending(
    settings: Settings,
    work: Callable[[asyncpg.Connection, Settings, RedisBroker], Awaitable[T]],
) -> T:
    """Run `work` with a connection and a broker its command sends the follow-up with."""
    assert settings.redis_url is not None
    broker = sender(settings.redis_url)
    try:
        return _on_db(settings, lambda conn, settings: work(conn, settings, broker))
    finally:
        broker.close()


def _read_token() -> str:
    """The token from standard input, read in bounded bytes and decoded strictly."""
    stream = sys.stdin.buffer
    if sys.stdin.isatty():
        click.echo("Paste the employee token, then press Enter:", err=True)
        return orgs.decode_token(stream.readline(STDIN_LIMIT))
    return orgs.decode_token(stream.read(STDIN_LIMIT))


@click.group()
def org() -> None:
    """Organizations: register, choose the company, synchronize, watch."""


@org.command("add")
@click.argument("name")
@click.option("--method", type=click.Choice([m.value for m in Method]), required=True)
@click.option("--provider", type=click.Choice([p.value for p in Provider]), default="tripletex")
@click.option("--token-stdin", is_flag=True, help="Read the employee token from standard input.")
def org_add(name: str, method: str, provider: str, token_stdin: bool) -> None:
    """Register an organization; print its id. API: validation starts at once."""
    chosen = Method(method)
    if chosen is Method.API and not token_stdin:
        fail("An API organization needs its employee token: pass --token-stdin and pipe it in.")
    token = _read_token() if chosen is Method.API else None

    async def work(
        conn: asyncpg.Connection, settings: Settings, broker: RedisBroker | None = None
    ) -> int:
        cipher = _cipher(settings) if token else None
        api = chosen is Method.API
        new = orgs.NewOrg(name, chosen, provider=Provider(provider) if api else None, token=token)
        return await orgs.register(conn, new, cipher=cipher, broker=broker)

    with servers(need_redis=chosen is Method.API) as settings:
        org_id = _sending(settings, work) if chosen is Method.API else _on_db(settings, work)
    click.echo(org_id)


@org.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def org_list(as_json: bool) -> None:
    """Every organization with its state."""

    async def work(conn: asyncpg.Connection, _: Settings) -> list[dict[str, Any]]:
        return [orgs.summary(row) for row in await conn.fetch(Q["org_list"])]

    found = mark_duplicates(_with_db(work))
    if as_json:
        print_json(found)
        return
    print_table(
        ["ID", "NAME", "METHOD", "STATE", "COMPANY", "REASON"],
        [
            [o["id"], o["name"], o["method"], o["state"], _company_cell(o), o["state_reason"] or ""]
            for o in found
        ],
    )


def mark_duplicates(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each organization with `duplicate_of`: the others that synchronize its company."""
    by_company: dict[int, list[int]] = {}
    for o in found:
        company_id = (o["company"] or {}).get("id")
        if company_id is not None and o["method"] == Method.API:
            by_company.setdefault(company_id, []).append(o["id"])
    marked = []
    for o in found:
        company_id = (o["company"] or {}).get("id")
        same = by_company.get(company_id, []) if company_id is not None else []
        marked.append(o | {"duplicate_of": [other for other in same if other != o["id"]]})
    return marked


def _company_cell(o: dict[str, Any]) -> str:
    """The company's name, marked when other organizations synchronize it too."""
    name = str((o["company"] or {}).get("name") or "")
    if o["duplicate_of"]:
        name += " (also " + ", ".join(f"#{other}" for other in o["duplicate_of"]) + ")"
    return name


@org.command("show")
@click.argument("ref", metavar="ORG")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def org_show(ref: str, as_json: bool) -> None:
    """One organization: state, company, per-year progress, last error."""

    async def work(conn: asyncpg.Connection, settings: Settings) -> dict[str, Any]:
        found = await orgs.find(conn, ref)
        kept = await freshness(conn, found, public_url=settings.public_url is not None)
        return await orgs.details(conn, found) | {"freshness": kept}

    shown = _with_db(work)
    if as_json:
        print_json(shown)
        return
    company = shown["company"] or {}
    click.echo(f"{shown['name']} (#{shown['id']}, {shown['method']}): {shown['state']}")
    if company:
        number = f", #{company['id']}" if company["id"] is not None else ""
        click.echo(f"Company: {company['name']} ({company['organizationNumber']}{number})")
    if shown["token_fingerprint"]:
        click.echo(f"Token: {shown['token_fingerprint']}")
    if shown["last_error"]:
        at = shown["last_error_at"]
        when = f" ({at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC)" if at else ""
        click.echo(f"Last error{when}: {shown['last_error']}")
    for line in freshness_lines(shown["freshness"]):
        click.echo(line)
    refused = [f"{r['register']} ({r['refused']})" for r in shown["registers"] if r["refused"]]
    if refused:
        click.echo(f"Registers not read: {', '.join(refused)}")
    print_table(
        ["YEAR", "STATE", "IMPORTED", "LAST COUNT", "THROUGH", "RANGES", "FAILED", "NOTE"],
        [
            [
                y["year"],
                y["state"],
                y["imported"],
                "?" if y["expected"] is None else y["expected"],
                y["covered_through"] or "",
                f"{y['chunks_done']}/{y['chunks_total']}",
                y["chunks_failed"],
                year_note(y),
            ]
            for y in shown["years"]
        ],
    )


def freshness_lines(kept: dict[str, Any]) -> list[str]:
    """`org show`'s lines on how the organization is kept fresh."""
    lines = [f"Kept fresh by {kept['how']}"]
    change = kept["last_change"]
    if change:
        at = change["at"].astimezone(dt.UTC)
        lines.append(
            f"Last change: {at:%Y-%m-%d %H:%M:%S} UTC, by {change['source']}: {change['what']}"
        )
    if kept["age_s"] is not None:
        newest = kept["newest_posting"]
        beside = f" (newest posting {newest})" if newest else ""
        checksums = {
            "supported": "checksums answered",
            "unsupported": "checksums not supported: ranges compared by content",
        }.get(kept["checksums"], "")
        lines.append(
            f"Data confirmed current {ago(kept['age_s'])}{beside}"
            + (f"; {checksums}" if checksums else "")
        )
    nightly = kept["next_nightly_at"]
    if nightly and kept["mode"] != "paused":
        lines.append(f"Next nightly full pass: {nightly.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC")
    return lines


def ago(seconds: int) -> str:
    """A duration in words, as "40 s ago", "12 min ago", "3 h ago", "2 days ago"."""
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def year_note(year: dict[str, Any]) -> str:
    """What a year's row must say beside its figures: a difference, unproven, off the list."""
    if year["difference"]:
        return str(year["difference"])
    if year["proven"] is False and year["proof_note"]:
        return str(year["proof_note"])
    if year["in_annual_accounts"] is False and year["imported"]:
        return "holds postings, but Tripletex lists no annual account for it"
    return ""


@org.command("companies")
@click.argument("ref", metavar="ORG")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def org_companies(ref: str, as_json: bool) -> None:
    """The companies the organization's token reaches."""

    async def work(conn: asyncpg.Connection, _: Settings) -> list[dict[str, Any]]:
        return await orgs.companies(conn, (await orgs.find(conn, ref))["id"])

    found = _with_db(work)
    if as_json:
        print_json(found)
        return
    print_table(
        ["ID", "NAME", "ORG NUMBER", "OWN"],
        [
            [c["id"], c["name"], c["organizationNumber"] or "", "yes" if c["own"] else ""]
            for c in found
        ],
    )


@org.command("select")
@click.argument("ref", metavar="ORG")
@click.argument("company_id", type=IdType("A company id"))
@click.option(
    "--replace",
    is_flag=True,
    help="Confirm: another company's data held by the organization is removed.",
)
@click.option(
    "--allow-duplicate",
    is_flag=True,
    help="Allow a company that another organization already synchronizes.",
)
def org_select(ref: str, company_id: int, replace: bool, allow_duplicate: bool) -> None:
    """Choose the company to synchronize; the first synchronization starts at once."""

    async def work(
        conn: asyncpg.Connection, _: Settings, broker: RedisBroker
    ) -> tuple[int, dict[str, int]]:
        found = await orgs.find(conn, ref)
        if replace:
            click.echo(
                f"Choosing company {company_id} for {found['name']} (#{found['id']}); "
                "the data of any other company it holds is removed."
            )
        confirmed = orgs.Confirmed(replace=replace, allow_duplicate=allow_duplicate)
        removed = await orgs.select_company(conn, found["id"], company_id, confirmed, broker=broker)
        return int(found["id"]), removed

    with servers(need_redis=True) as settings:
        org_id, removed = _sending(settings, work)
    if removed:
        click.echo(
            f"Removed {removed['postings']} postings, {removed['years']} years and "
            f"{removed['check_runs']} check runs of the former company."
        )
    click.echo(f"Synchronizing company {company_id} for organization {org_id}.")


@org.command("token")
@click.argument("ref", metavar="ORG")
@click.option("--token-stdin", is_flag=True, required=True, help="Read the token from stdin.")
def org_token(ref: str, token_stdin: bool) -> None:
    """Replace the employee token and validate again."""
    token = _read_token()

    async def work(conn: asyncpg.Connection, settings: Settings, broker: RedisBroker) -> int:
        org_id = int((await orgs.find(conn, ref))["id"])
        await orgs.replace_token(conn, org_id, token, _cipher(settings), broker=broker)
        return org_id

    with servers(need_redis=True) as settings:
        org_id = _sending(settings, work)
    click.echo(f"Token replaced for organization {org_id}; validating it now.")


@org.command("sync")
@click.argument("ref", metavar="ORG")
@click.option("--year", type=int, help="Only this year.")
def org_sync(ref: str, year: int | None) -> None:
    """Synchronize again now (all years, or one)."""

    async def work(conn: asyncpg.Connection, _: Settings, broker: RedisBroker) -> asyncpg.Record:
        found = await orgs.find(conn, ref)
        await orgs.request_sync(conn, found["id"], year, broker=broker)
        return found

    with servers(need_redis=True) as settings:
        found = _sending(settings, work)
    click.echo(f"Synchronizing {'year ' + str(year) if year else 'every year'} of {found['name']}.")


#: states in which an organization waits for an operator: waiting on it cannot end well
OPERATOR_STATES = (
    OrgState.NEEDS_ATTENTION,
    OrgState.CANCELLED,
    OrgState.CHOOSE_COMPANY,
    OrgState.AWAITING_FILE,
)


@org.command("wait")
@click.argument("ref", metavar="ORG")
@click.option(
    "--timeout", type=click.FloatRange(0, 10**7), default=3600.0, show_default=True, help="Seconds."
)
def org_wait(ref: str, timeout: float) -> None:
    """Block until synced (0), needs attention or an operator (1), or the timeout passes (3)."""
    if math.isnan(timeout):
        fail("--timeout is a number of seconds; nan is not one.")

    async def work(conn: asyncpg.Connection, _: Settings) -> asyncpg.Record:
        org_id = (await orgs.find(conn, ref))["id"]
        deadline = time.monotonic() + timeout
        while True:
            row = await conn.fetchrow(Q["org_by_id"], org_id)
            if row["state"] == OrgState.SYNCED or row["state"] in OPERATOR_STATES:
                return row
            if time.monotonic() >= deadline:
                return row
            await asyncio.sleep(WAIT_POLL_S)

    row = _with_db(work)
    if row["state"] == OrgState.SYNCED:
        click.echo(f"{row['name']} is synced.")
        sys.exit(EXIT_OK)
    if row["state"] in OPERATOR_STATES:
        fail(operator_action(row), EXIT_FAILED)
    fail(f"{row['name']} is still {row['state']} after {timeout:g} s.", EXIT_TIMED_OUT)


def operator_action(row: asyncpg.Record) -> str:
    """One sentence: what the organization waits for, and the command that gives it."""
    name, ref, reason = row["name"], f"#{row['id']}", row["state_reason"] or "no reason recorded"
    if row["state"] == OrgState.CHOOSE_COMPANY:
        return (
            f"{name} waits for a company to be chosen: `ledgersync org companies {ref}` lists "
            f"them and `ledgersync org select {ref} COMPANY_ID` chooses one."
        )
    if row["state"] == OrgState.AWAITING_FILE:
        return f"{name} waits for its SAF-T file: `ledgersync saft import {ref} FILE` sends it."
    if row["state"] == OrgState.CANCELLED:
        return f"{name} cancelled: {reason}; `ledgersync org resume {ref}` continues."
    return f"{name} needs attention: {reason} (`ledgersync check {ref}` tells what to do)."


@org.command("remove")
@click.argument("ref", metavar="ORG")
@click.option("--yes", is_flag=True, help="Confirm: all its data is deleted.")
def org_remove(ref: str, yes: bool) -> None:
    """Remove the organization and all its data."""
    if not yes:
        fail("Removing deletes the organization and all its postings; add --yes to confirm.")

    async def work(conn: asyncpg.Connection, _: Settings) -> str:
        found = await orgs.find(conn, ref)
        click.echo(f"Removing {found['name']} (#{found['id']}) and all its data.")
        await orgs.remove(conn, found["id"])
        return str(found["name"])

    click.echo(f"Removed {_with_db(work)}.")
