"""The `fields` query parameter: `*`, comma lists and `sub(a,b)` / `sub(*)` selections (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: characters a field name may contain
_NAME = re.compile(r"[A-Za-z0-9_*]+")


class FieldsError(ValueError):
    """The fields expression is malformed or names a field the model does not have."""


@dataclass(frozen=True, slots=True)
class Selection:
    """One selected field; `sub` is None without parentheses, else the nested selection."""

    name: str
    sub: tuple[Selection, ...] | None = None


#: what an absent or empty `fields` parameter means
ALL = (Selection("*"),)


def parse(text: str | None) -> tuple[Selection, ...]:
    """Parse a fields expression such as `id,account(id,name),voucher(*)`."""
    if text is None or not text.strip():
        return ALL
    selections, pos = _parse_list(text.replace(" ", ""), 0)
    if pos != len(text.replace(" ", "")):
        raise FieldsError(f"Unbalanced parenthesis in fields filter: {text}")
    return selections or ALL


def _parse_list(text: str, pos: int) -> tuple[tuple[Selection, ...], int]:
    """Parse items until a closing parenthesis or the end; returns them and the stop position."""
    items: list[Selection] = []
    while pos < len(text) and text[pos] != ")":
        if text[pos] == ",":
            pos += 1
            continue
        match = _NAME.match(text, pos)
        if match is None:
            raise FieldsError(f"Illegal character {text[pos]!r} in fields filter: {text}")
        name, pos = match.group(), match.end()
        sub = None
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse_list(text, pos + 1)
            if pos >= len(text):
                raise FieldsError(f"Unbalanced parenthesis in fields filter: {text}")
            pos += 1
            sub = sub or ALL
        items.append(Selection(name, sub))
    return tuple(items), pos


def unparse(selections: tuple[Selection, ...]) -> str:
    """The canonical text of a selection (used as a cache key)."""
    return ",".join(
        s.name + (f"({unparse(s.sub)})" if s.sub is not None else "") for s in selections
    )
