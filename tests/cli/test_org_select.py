"""`org select`: another company needs --replace, a duplicate needs --allow-duplicate."""

from __future__ import annotations

import json

from cli_inproc import Invoke, sql

TOKEN = b"eyJ0b2tlbklkIjoxLCJ0b2tlbiI6Imdvb2QifQ"


def _org(cli: Invoke, database_url: str, name: str) -> int:
    done = cli("org", "add", name, "--method", "api", "--token-stdin", stdin=TOKEN)
    assert done.code == 0, done.stderr
    org_id = int(done.stdout)
    for company, title in ((101, "Alfa AS"), (202, "Beta AS")):
        sql(
            database_url,
            "INSERT INTO companies (org_id, company_id, name, is_own) VALUES ($1, $2, $3, false)",
            org_id,
            company,
            title,
        )
    return org_id


def _postings(database_url: str, org_id: int) -> int:
    rows = sql(database_url, "SELECT count(*) AS n FROM postings WHERE org_id = $1", org_id)
    return int(rows[0]["n"])


def test_select_another_company_needs_replace(cli: Invoke, database_url: str) -> None:
    org_id = _org(cli, database_url, "Bakeri AS")
    assert cli("org", "select", "Bakeri AS", "101").code == 0
    sql(
        database_url,
        "INSERT INTO postings (org_id, posting_id, posting_date, amount, "
        "account_number) VALUES ($1, 7, '2020-01-02', 5, '1920')",
        org_id,
    )

    refused = cli("org", "select", "Bakeri AS", "202")
    assert refused.code == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    for part in ("Alfa AS (101)", "Beta AS (202)", "--replace"):
        assert part in refused.stderr
    assert _postings(database_url, org_id) == 1

    done = cli("org", "select", "Bakeri AS", "202", "--replace")
    assert done.code == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"Choosing company 202 for Bakeri AS (#{org_id})")
    assert "Removed 1 postings" in done.stdout
    assert _postings(database_url, org_id) == 0
    shown = json.loads(cli("org", "show", "Bakeri AS", "--json").stdout)
    assert shown["company"]["id"] == 202


def test_select_a_company_another_organization_syncs_needs_allow_duplicate(
    cli: Invoke, database_url: str
) -> None:
    first = _org(cli, database_url, "Bakeri AS")
    second = _org(cli, database_url, "Bakeri AS kopi")
    assert cli("org", "select", f"#{first}", "101").code == 0
    refused = cli("org", "select", f"#{second}", "101")
    assert refused.code == 2
    assert "--allow-duplicate" in refused.stderr
    assert f"Bakeri AS (#{first})" in refused.stderr
    done = cli("org", "select", f"#{second}", "101", "--allow-duplicate")
    assert done.code == 0, done.stderr
    listed = {o["id"]: o for o in json.loads(cli("org", "list", "--json").stdout)}
    assert listed[first]["duplicate_of"] == [second]
    assert listed[second]["duplicate_of"] == [first]
    table = cli("org", "list").stdout
    assert f"Alfa AS (also #{second})" in table
    assert f"Alfa AS (also #{first})" in table
