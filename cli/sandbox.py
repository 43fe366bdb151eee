"""`ledgersync sandbox`: the offline Tripletex API."""

from __future__ import annotations

import click

from cli.common import fail


@click.command()
@click.option("--describe", is_flag=True, help="Print the scenario as JSON and exit.")
def sandbox(describe: bool) -> None:
    """Serve the offline Tripletex API v2 (a sandbox that behaves like the real one)."""
    fail("The sandbox is being built.")
