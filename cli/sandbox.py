"""`ledgersync sandbox`: the offline Tripletex API (its options are the sandbox's own)."""

from __future__ import annotations

import sys

import click

from sandbox.__main__ import main as sandbox_main


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """Serve the offline Tripletex API v2; --describe prints its scenario (see --help)."""
    sys.exit(sandbox_main(["--help"] if "-h" in ctx.args else ctx.args))
