"""Every write of an organization goes through `shared.orgs`: no other production module names
a query that inserts, updates or deletes `organizations`, nor writes such SQL itself.

The queries are read from `shared.db.queries.Q` (wherever the named SQL lives), so a new query
that writes the table is covered at once; the modules are read from their syntax trees, so a
query name held in a table of names (as the scheduler's were) is seen too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from shared.db.queries import Q

ROOT = Path(__file__).resolve().parent.parent
#: the production packages whose modules are read
PACKAGES = ("shared", "worker", "tui", "cli", "sandbox")
#: the one place allowed to write organizations (the named SQL itself lives under shared/db)
OWNERS = ("shared/orgs/", "shared/db/")
#: SQL that writes the organizations table
WRITES = re.compile(r"\b(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+organizations\b", re.IGNORECASE)


def org_writing_queries() -> set[str]:
    """The names of the queries that write `organizations`."""
    return {name for name, sql in Q.items() if WRITES.search(sql)}


def strings_of(path: Path) -> set[str]:
    """Every string constant in a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def writers_outside(names: set[str]) -> list[str]:
    """`module: name` for each module outside shared/orgs that names such a query or SQL."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            if module.startswith(OWNERS):
                continue
            strings = strings_of(path)
            found += [f"{module}: {name}" for name in sorted(strings & names)]
            found += [f"{module}: SQL {s[:40]!r}" for s in sorted(strings) if WRITES.search(s)]
    return found


def test_the_queries_that_write_organizations_are_found() -> None:
    names = org_writing_queries()
    assert {"org_insert", "org_set_state", "org_select_company", "org_delete"} <= names
    assert {"org_cancel", "org_resume", "orgs_plan_lost"} <= names


def test_only_shared_orgs_writes_an_organization() -> None:
    assert writers_outside(org_writing_queries()) == []


def test_the_check_sees_a_name_in_a_table_and_raw_sql(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text(
        'STEPS = (("org_set_state", "x"),)\n'
        'SQL = "update organizations set state = $2 where id = $1"\n'
    )
    strings = strings_of(module)
    assert "org_set_state" in strings
    assert any(WRITES.search(s) for s in strings)
