"""Which organizations the home table lists, in what order (pure: filter and sort)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tui import format as fmt
from tui.views import OrgRow

#: the home table's columns: key, heading, and width (None: the rest of the screen)
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("id", "#", 3),
    ("name", "Organization", 20),
    ("method", "Method", 6),
    ("provider", "Provider", 9),
    ("company", "Company", 20),
    ("state", "State", 18),
    ("progress", "Progress", 15),
    ("postings", "Postings", 17),
    ("rate", "Rate", 8),
    ("eta", "ETA", 7),
    ("error", "Last error", None),
)


def _eta(row: OrgRow) -> float:
    left = row.progress.eta_s()
    return float("inf") if left is None else left[0]


#: how each column sorts
SORT_KEYS: dict[str, Callable[[OrgRow], Any]] = {
    "id": lambda row: row.id,
    "name": lambda row: row.name.casefold(),
    "method": lambda row: row.method,
    "provider": lambda row: row.provider or "",
    "company": lambda row: (row.company or "").casefold(),
    "state": lambda row: row.state,
    "progress": lambda row: fmt.org_fraction(row) or 0.0,
    "postings": lambda row: row.progress.imported,
    "rate": lambda row: row.progress.rate or 0.0,
    "eta": _eta,
    "error": lambda row: row.last_error or row.reason or "",
}


@dataclass(frozen=True, slots=True)
class Arrangement:
    """The user's filter text and sort column."""

    filter: str = ""
    sort: str = "id"
    reverse: bool = False

    def next_sort(self) -> Arrangement:
        """Sort by the next column (then back to the first)."""
        keys = [key for key, _, _ in COLUMNS]
        following = keys[(keys.index(self.sort) + 1) % len(keys)]
        return Arrangement(self.filter, following, False)

    def by(self, column: str) -> Arrangement:
        """Sort by `column`; again by the same column reverses."""
        if column == self.sort:
            return Arrangement(self.filter, column, not self.reverse)
        return Arrangement(self.filter, column, False)

    def describe(self) -> str:
        """`sorted by state ↓`."""
        heading = next(heading for key, heading, _ in COLUMNS if key == self.sort)
        return f"sorted by {heading.lower()} {'↓' if self.reverse else '↑'}"


def matches(row: OrgRow, text: str) -> bool:
    """Whether every word of `text` appears in the row's name, company, state, method or error."""
    haystack = " ".join(
        str(part)
        for part in (
            row.id,
            row.name,
            row.company,
            fmt.label(row.state),
            row.state,
            row.method,
            row.provider,
            row.reason,
            row.last_error,
        )
        if part
    ).casefold()
    return all(word in haystack for word in text.casefold().split())


def arrange(rows: Sequence[OrgRow], how: Arrangement) -> list[OrgRow]:
    """The rows the filter keeps, in the chosen order (ties by id)."""
    kept = [row for row in rows if matches(row, how.filter)]
    key = SORT_KEYS[how.sort]
    return sorted(kept, key=lambda row: (key(row), row.id), reverse=how.reverse)
