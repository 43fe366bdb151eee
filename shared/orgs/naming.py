"""What an organization may be called, and how ids are written: checks of the operator's text."""

from __future__ import annotations

import unicodedata

from shared.errors import BadInput

#: the longest name an organization may have
MAX_NAME_CHARS = 200

#: characters that reorder text on screen (bidirectional overrides, embeddings, isolates, marks)
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

#: the largest id Postgres' bigint holds
MAX_ID = 2**63 - 1


def name_problem(text: str) -> str | None:
    """Why `text` cannot be an organization's name (None when it can)."""
    if len(text) > MAX_NAME_CHARS:
        return f"is {len(text)} characters long; at most {MAX_NAME_CHARS} are allowed"
    for ch in text:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Cf", "Co", "Cn"):
            return f"holds the invisible or control character U+{ord(ch):04X}"
    return None


def parse_id(text: str, what: str = "An organization id") -> int:
    """An id written in ASCII digits within 64 bits; BadInput with a sentence otherwise."""
    if not (text.isascii() and text.isdigit()):
        raise BadInput(f"{what} is written in the digits 0-9; {shown(text)} is not.")
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise BadInput(f"{what} lies between 1 and {MAX_ID}; {shown(text)} does not.")
    return value


def shown(text: str, limit: int = 60) -> str:
    """`text` quoted for a sentence, cut short when long."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"
