"""Named SQL statements, loaded from queries.sql: no SQL strings scattered in Python.

Each statement in queries.sql starts with a header line `-- name: <name>` followed by a one-line
`-- <description>`; the statement runs until the next header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

HEADER = re.compile(r"^-- name: ([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str) -> Mapping[str, str]:
    """Split a queries file into {name: statement}; duplicate or empty statements are errors."""
    parts = HEADER.split(text)
    found: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = [line for line in body.strip().splitlines() if not line.startswith("--")]
        statement = "\n".join(lines).strip().rstrip(";").strip()
        if not statement:
            raise ValueError(f"query {name!r} has no statement")
        if name in found:
            raise ValueError(f"query {name!r} is defined twice")
        found[name] = statement
    return MappingProxyType(found)


def load_queries() -> Mapping[str, str]:
    """Every named statement of shared/db/queries.sql."""
    return parse_queries((resources.files("shared.db") / "queries.sql").read_text("utf-8"))


#: name -> SQL, e.g. ``Q["org_insert"]``
Q: Mapping[str, str] = load_queries()
