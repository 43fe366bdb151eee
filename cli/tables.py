"""Plain aligned tables for human output (the --json output is for programs)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import click


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Collection[int] = ()
) -> None:
    """Columns padded to their widest cell (those in `right` aligned right, as amounts are); a
    note when there are no rows."""
    if not rows:
        click.echo("(none)")
        return
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        click.echo(
            "  ".join(
                cell.rjust(width) if i in right else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
