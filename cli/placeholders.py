"""Commands of the contract that later work fills in: they say so and exit 2 until then."""

from __future__ import annotations

import click

from cli.common import fail

#: command -> the piece of work that brings it (every command of the contract has landed)
_NOT_YET: dict[str, str] = {}


def _placeholder(name: str, arrives_with: str) -> click.Command:
    @click.command(
        name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=f"(not yet available: arrives with {arrives_with})",
    )
    def command() -> None:
        fail(f"'ledgersync {name}' is not available yet: it arrives with {arrives_with}.")

    return command


PLACEHOLDER_COMMANDS = tuple(_placeholder(name, what) for name, what in _NOT_YET.items())
