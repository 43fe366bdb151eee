"""Named SQL statements, one file per table they serve: no SQL strings scattered in Python.

Every ``*.sql`` file in this package is loaded (``organizations.sql``, ``chunks.sql``, ...). Each
statement starts with a header line `-- name: <name>` followed by a one-line `-- <description>`;
the statement runs until the next header. Lines before the first header describe the file. A name
is `<table>_<verb>` and is defined once across all the files.
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


def merge_queries(files: Mapping[str, str]) -> Mapping[str, str]:
    """{file name: text} -> {name: statement}; a name defined in two files is an error."""
    found: dict[str, str] = {}
    defined_in: dict[str, str] = {}
    for file_name, text in sorted(files.items()):
        try:
            parsed = parse_queries(text)
        except ValueError as exc:
            raise ValueError(f"{file_name}: {exc}") from None
        for name, statement in parsed.items():
            if name in defined_in:
                raise ValueError(
                    f"query {name!r} is defined twice: in {defined_in[name]} and in {file_name}"
                )
            defined_in[name] = file_name
            found[name] = statement
    return MappingProxyType(found)


def load_queries() -> Mapping[str, str]:
    """Every named statement of every ``*.sql`` file in shared/db/queries/."""
    folder = resources.files(__name__)
    return merge_queries(
        {
            entry.name: entry.read_text("utf-8")
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        }
    )


#: name -> SQL, e.g. ``Q["org_insert"]``
Q: Mapping[str, str] = load_queries()
