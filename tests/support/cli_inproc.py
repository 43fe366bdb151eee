"""The `ledgersync` command run in this process, as `main()` runs it: exit code and both streams."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import click.testing

from cli.common import run_command
from cli.main import ledgersync


@dataclass(frozen=True, slots=True)
class Done:
    """What one command left behind."""

    code: int
    stdout: str
    stderr: str


#: runs `ledgersync ARGS...` in this process, with stdin given as bytes
Invoke = Callable[..., Done]


def invoke(*args: str, stdin: bytes = b"") -> Done:
    """Run one command line in this process, as the console script would."""
    runner = click.testing.CliRunner()
    with runner.isolation(input=stdin) as (out, err, _):
        try:
            run_command(ledgersync, list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return Done(
            code, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace")
        )


def sql(database_url: str, statement: str, *args: object) -> list[asyncpg.Record]:
    """Run one statement from a test that is not async (as the commands run: a fresh loop)."""

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return list(await conn.fetch(statement, *args))
        finally:
            await conn.close()

    return asyncio.run(run())
