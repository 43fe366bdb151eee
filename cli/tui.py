"""`ledgersync tui [--read-only] [--bell]`: the operators' terminal UI."""

from __future__ import annotations

import click

from cli.common import servers


@click.command("tui")
@click.option(
    "--read-only", is_flag=True, help="Watch only: every action that changes something is hidden."
)
@click.option(
    "--bell",
    is_flag=True,
    help="Ring the terminal's bell with each alert (needs attention, dead letter, silent worker).",
)
def tui(read_only: bool, bell: bool) -> None:
    """The operators' terminal UI: organizations, progress, checks, jobs (logs go to a file)."""
    from tui.__main__ import run

    with servers(need_redis=True) as settings:
        run(settings, read_only=read_only, bell=bell)
