"""`ledgersync ledger …`: the books as imported, read back: a year's trial balance beside the
source's own balances, and the postings of an account and month.

Both print a readable table, or with `--json` one JSON document, or with `--csv` a header and
rows (amounts as plain decimals with a point). `trial-balance` exits 0 when the year is proven
against the source, 1 when an account differs or the year has no trial balance yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
import click

from cli.common import EXIT_FAILED, fail, print_json, run_async, servers
from cli.tables import print_table
from shared import orgs
from shared.db import connect
from shared.ledger import reports
from shared.ledger.reports import PostingLine, TrialBalanceReport

T = TypeVar("T")

TRIAL_COLUMNS = (
    "account",
    "name",
    "type",
    "opening",
    "debit",
    "credit",
    "closing",
    "source_closing",
    "difference",
)
POSTING_COLUMNS = (
    "date",
    "account",
    "voucher_id",
    "voucher_number",
    "description",
    "amount",
    *(kind for kind, _ in reports.DIMENSIONS),
)


class _Parsed(click.ParamType[Any]):
    """A value parsed by a parser of `shared.ledger.reports` (BadInput: one sentence, exit 2)."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The parsed value."""
        return value if not isinstance(value, str) else self.parse(value)


YEAR = _Parsed("year", reports.parse_year)
MONTH = _Parsed("month", reports.parse_month)
ACCOUNT = _Parsed("account", reports.parse_account)


def amount(value: Decimal) -> str:
    """An amount for people: thousands apart by spaces, two decimals."""
    return f"{value:,.2f}".replace(",", " ")


def plain(value: Decimal | None) -> str | None:
    """An amount for programs: a decimal string with two places (None stays None)."""
    return None if value is None else f"{value:.2f}"


def _on_org(ref: str, work: Callable[[asyncpg.Connection, asyncpg.Record], Awaitable[T]]) -> T:
    """Run `work` with a connection and the organization `ref` names (unknown: exit 2)."""
    with servers() as settings:
        url = settings.database_url
        assert url is not None

        async def run() -> T:
            conn = await connect(url)
            try:
                return await work(conn, await orgs.find(conn, ref))
            finally:
                await conn.close()

        return run_async(run)


def _one_format(as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        fail("--json and --csv are two output formats: choose one.")


@click.group()
def ledger() -> None:
    """The imported books: trial balance per year, postings per account and month."""


@ledger.command("trial-balance")
@click.argument("ref", metavar="ORG")
@click.option("--year", type=YEAR, required=True, help="The year, e.g. 2024.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout: a header, a row per account.")
def trial_balance(ref: str, year: int, as_json: bool, as_csv: bool) -> None:
    """Per account: opening, debit, credit, closing from the imported postings, beside the
    source's closing, with the difference; exit 0 when the year is proven, 1 otherwise."""
    _one_format(as_json, as_csv)
    found = _on_org(ref, lambda conn, org: reports.trial_balance(conn, org, year))
    if as_json:
        print_json(trial_balance_json(found))
    elif as_csv:
        _write_csv(TRIAL_COLUMNS, [_trial_csv_row(line) for line in found.lines])
    elif found.computed:
        _print_trial_balance(found)
    if not found.computed:
        click.echo(
            f"{found.org_name} has no trial balance of {found.year} yet: it is computed when the "
            f"year is proven against {found.source} after its sync.",
            err=True,
        )
    sys.exit(0 if found.proven else EXIT_FAILED)


def trial_balance_json(found: TrialBalanceReport) -> dict[str, Any]:
    """The --json document of `ledger trial-balance`."""
    totals = found.totals
    return {
        "organization": {"id": found.org_id, "name": found.org_name, "method": found.method},
        "year": found.year,
        "computed": found.computed,
        "proven": found.proven,
        "proven_against": found.source.removeprefix("the "),
        "checked_at": found.checked_at,
        "accounts": [dict(zip(TRIAL_COLUMNS, _trial_csv_row(x), strict=True)) for x in found.lines],
        "totals": {
            key: plain(getattr(totals, key))
            for key in ("opening", "debit", "credit", "closing", "difference")
        },
        "differing": [line.account for line in found.differing],
    }


def _trial_csv_row(x: reports.TrialBalanceLine) -> list[str | None]:
    return [
        x.account,
        x.name,
        x.account_type,
        plain(x.opening),
        plain(x.debit),
        plain(x.credit),
        plain(x.closing),
        plain(x.source_closing),
        plain(x.difference),
    ]


def _print_trial_balance(found: TrialBalanceReport) -> None:
    totals = found.totals
    click.echo(f"{found.org_name} (#{found.org_id}): trial balance {found.year}")
    rows: list[list[object]] = [
        [
            x.account,
            x.name or "",
            x.account_type or "",
            amount(x.opening),
            amount(x.debit),
            amount(x.credit),
            amount(x.closing),
            "–" if x.source_closing is None else amount(x.source_closing),
            amount(x.difference),
            "" if x.agrees else "*",
        ]
        for x in found.lines
    ]
    rows.append(
        [
            "Total",
            "",
            "",
            amount(totals.opening),
            amount(totals.debit),
            amount(totals.credit),
            amount(totals.closing),
            "",
            amount(totals.difference),
            "",
        ]
    )
    print_table(
        [
            "ACCOUNT",
            "NAME",
            "TYPE",
            "OPENING",
            "DEBIT",
            "CREDIT",
            "CLOSING",
            "SOURCE CLOSING",
            "DIFFERENCE",
            "",
        ],
        rows,
        right=range(3, 9),
    )
    click.echo(proof_sentence(found))


def proof_sentence(found: TrialBalanceReport) -> str:
    """The footer: proven against the source and when, or which accounts differ."""
    when = _moment(found.checked_at)
    if found.proven:
        return f"Proven against {found.source}{' on ' + when if when else ''}."
    differing = found.differing
    listed = ", ".join(f"{x.account} by {amount(x.difference)}" for x in differing)
    checked = f" (checked {when})" if when else ""
    many = "accounts differ" if len(differing) != 1 else "account differs"
    return f"Not proven against {found.source}{checked}: {len(differing)} {many} ({listed})."


def _moment(at: dt.datetime | None) -> str:
    return "" if at is None else f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


@ledger.command("postings")
@click.argument("ref", metavar="ORG")
@click.option("--account", type=ACCOUNT, help="The account number, e.g. 1920.")
@click.option("--month", type=MONTH, help="The month as YYYY-MM, e.g. 2024-03.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout: a header, a row per posting.")
def postings(
    ref: str, account: str | None, month: dt.date | None, as_json: bool, as_csv: bool
) -> None:
    """The imported postings of an account and month (or every month of an account, or every
    account of a month), with voucher, description, amount and dimensions by name."""
    _one_format(as_json, as_csv)
    if account is None and month is None:
        fail("Name the account (--account N), the month (--month YYYY-MM), or both.")

    async def work(conn: asyncpg.Connection, org: asyncpg.Record) -> tuple[Any, ...]:
        name = None if account is None else await reports.account_name(conn, org, account)
        found = await reports.postings(conn, int(org["id"]), account=account, month=month)
        return org, name, found

    org, name, found = _on_org(ref, work)
    shown_month = None if month is None else f"{month:%Y-%m}"
    if as_json:
        print_json(postings_json(org, account, name, shown_month, found))
    elif as_csv:
        _write_csv(POSTING_COLUMNS, [_posting_csv_row(p) for p in found])
    else:
        what = [
            f"account {account}{' ' + name if name else ''}" if account else "every account",
            shown_month or "every month",
        ]
        click.echo(f"{org['name']} (#{org['id']}): postings of {', '.join(what)}")
        _print_postings(found, show_account=account is None)


def postings_json(
    org: asyncpg.Record,
    account: str | None,
    name: str | None,
    month: str | None,
    found: tuple[PostingLine, ...],
) -> dict[str, Any]:
    """The --json document of `ledger postings`."""
    debit, credit = reports.debit_credit(found)
    return {
        "organization": {"id": org["id"], "name": org["name"], "method": org["method"]},
        "account": account,
        "account_name": name,
        "month": month,
        "postings": [
            {
                "posting_id": p.posting_id,
                "date": p.date.isoformat(),
                "account": p.account,
                "voucher_id": p.voucher_id,
                "voucher_number": p.voucher_number,
                "description": p.description,
                "amount": plain(p.amount),
                "dimensions": [
                    {"kind": d.kind, "label": d.label, "name": d.name} for d in p.dimensions
                ],
            }
            for p in found
        ],
        "totals": {
            "count": len(found),
            "debit": plain(debit),
            "credit": plain(credit),
            "net": plain(debit - credit),
        },
    }


def _posting_csv_row(p: PostingLine) -> list[object]:
    named = {d.kind: d.name for d in p.dimensions}
    return [
        p.date.isoformat(),
        p.account,
        p.voucher_id,
        p.voucher_number,
        p.description,
        plain(p.amount),
        *(named.get(kind) for kind, _ in reports.DIMENSIONS),
    ]


def _print_postings(found: tuple[PostingLine, ...], *, show_account: bool) -> None:
    if not found:
        click.echo("No postings.")
        return
    first = ["ACCOUNT"] if show_account else []
    rows: list[list[object]] = [
        [
            *([p.account] if show_account else []),
            p.date.isoformat(),
            p.voucher_number or "",
            p.description or "",
            amount(p.amount),
            " · ".join(f"{d.label}: {d.name}" for d in p.dimensions),
        ]
        for p in found
    ]
    print_table(
        [*first, "DATE", "VOUCHER", "DESCRIPTION", "AMOUNT", "DIMENSIONS"],
        rows,
        right={len(first) + 3},
    )
    debit, credit = reports.debit_credit(found)
    count = f"{len(found)} posting{'s' if len(found) != 1 else ''}"
    click.echo(
        f"{count}: debit {amount(debit)}, credit {amount(credit)}, net {amount(debit - credit)}."
    )


def _write_csv(header: tuple[str, ...], rows: list[list[Any]]) -> None:
    """A header and rows on stdout; None as an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    click.echo(out.getvalue(), nl=False)
