"""Bounds checked once at the edge: years, tokens, names, standard input; one sentence, exit 2."""

from __future__ import annotations

import datetime as dt

import pytest
from cli_inproc import Done, Invoke, sql

TOKEN = b"eyJ0b2tlbklkIjoxLCJ0b2tlbiI6Imdvb2QifQ"


def _refused(done: Done) -> None:
    assert done.code == 2, done
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    "stdin",
    [b"\xff\xfe\x00bad", b"x" * 5000, b"x" * 10_000_000, "tøken".encode(), b"a\x01b", b"", b"a b"],
)
def test_a_bad_token_on_stdin_is_refused_and_nothing_stored(
    cli: Invoke, stdin: bytes, database_url: str
) -> None:
    _refused(cli("org", "add", "Bakeri AS", "--method", "api", "--token-stdin", stdin=stdin))
    assert cli("org", "list", "--json").stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["two\nlines", "\u202eSA irekaB", "x" * 201, "nul\x00"])
def test_a_bad_name_is_refused(cli: Invoke, name: str) -> None:
    _refused(cli("org", "add", name, "--method", "saft"))
    assert cli("org", "list", "--json").stdout.strip() == "[]"


def _api_org(cli: Invoke, database_url: str, years: range | None) -> int:
    done = cli("org", "add", "Bakeri AS", "--method", "api", "--token-stdin", stdin=TOKEN)
    assert done.code == 0, done.stderr
    org_id = int(done.stdout)
    sql(
        database_url,
        "UPDATE organizations SET company_id = 101, company_name = 'Bakeri', state = 'synced' "
        "WHERE id = $1",
        org_id,
    )
    for year in years or ():
        sql(
            database_url,
            "INSERT INTO sync_years (org_id, year, state) VALUES ($1, $2, 'done')",
            org_id,
            year,
        )
    return org_id


@pytest.mark.parametrize("year", ["-1", "0", "1969", "99999", str(2**70), "²"])
def test_years_outside_1970_to_next_year_are_refused(
    cli: Invoke, database_url: str, year: str
) -> None:
    _api_org(cli, database_url, None)
    _refused(cli("org", "sync", "Bakeri AS", "--year", year))


def test_years_are_held_to_the_companys_own_where_known(cli: Invoke, database_url: str) -> None:
    _api_org(cli, database_url, range(2019, 2022))
    _refused(cli("org", "sync", "Bakeri AS", "--year", "2018"))
    _refused(cli("org", "sync", "Bakeri AS", "--year", str(dt.date.today().year + 1)))
    done = cli("org", "sync", "Bakeri AS", "--year", "2020")
    assert done.code == 0, done.stderr
