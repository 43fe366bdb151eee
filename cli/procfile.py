"""The Procfile's process types, so the demo runs workers and the scheduler exactly as it says."""

from __future__ import annotations

import shlex
from pathlib import Path

#: the repository's Procfile (beside the packages in a checkout)
PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
#: what the Procfile says, for an installation without the checkout
FALLBACK = {
    "worker": ["ledgersync", "worker", "--processes", "2", "--threads", "8"],
    "scheduler": ["ledgersync", "scheduler"],
    "web": ["ledgersync", "web"],
}


def parse_procfile(text: str) -> dict[str, list[str]]:
    """`name: command` lines -> {name: argv}; blank lines and `#` comments are skipped."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, colon, command = stripped.partition(":")
        if not colon or not name.strip() or not command.strip():
            raise ValueError(f"Procfile line {number} is not `name: command`: {line!r}")
        found[name.strip()] = shlex.split(command)
    return found


def process_types(path: Path = PROCFILE) -> dict[str, list[str]]:
    """The Procfile's process types (its fallback copy when there is no Procfile)."""
    if not path.is_file():
        return dict(FALLBACK)
    return parse_procfile(path.read_text(encoding="utf-8"))
