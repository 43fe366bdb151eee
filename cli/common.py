"""What every command shares: settings, servers, error reporting with the contract's exit codes."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import click
import orjson
import redis

from shared.config import Settings
from shared.embedded import servers_for
from shared.errors import AppError
from shared.logging import configure_logging

T = TypeVar("T")

#: exit codes of the contract
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_TIMED_OUT = 0, 1, 2, 3


class IdType(click.ParamType[int]):
    """An id on the command line: ASCII digits within 64 bits, else one plain sentence (exit 2)."""

    name = "id"

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The id as an int."""
        from shared.orgs import parse_id

        if isinstance(value, int):
            return value
        return parse_id(str(value).strip(), self.what)  # BadInput: one sentence, exit 2


def fail(message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
    """Print one plain sentence to stderr and exit; what it quotes of the user's input (line
    breaks, escapes, bidirectional overrides) is shown escaped, so it stays one plain line."""
    click.echo(plain_line(message), err=True)
    sys.exit(exit_code)


def plain_line(text: str) -> str:
    """`text` with every unprintable character written as its escape."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text.rstrip("\n"))


def run_command(group: click.Group, args: list[str] | None = None) -> None:
    """Run the click group; turn AppErrors into one sentence on stderr and their exit code."""
    try:
        group.main(args, standalone_mode=False)
    except click.exceptions.Abort:
        fail("Aborted.", EXIT_FAILED)
    except click.UsageError as exc:
        hint = f" (`{exc.ctx.command_path} --help` shows the usage)" if exc.ctx else ""
        fail(" ".join(exc.format_message().split()) + hint, exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AppError as exc:
        fail(str(exc), exc.exit_code)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        fail(REDIS_UNREACHABLE, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        fail("Interrupted.", 130)


def load_settings() -> Settings:
    """Settings from the environment, with logging configured once for this process."""
    settings = Settings.from_env()
    configure_logging(settings)
    return settings


#: the sentence for a Redis that does not answer
REDIS_UNREACHABLE = (
    "Cannot reach Redis; check LEDGERSYNC_REDIS_URL (and that Redis runs), or unset it to use "
    "the embedded one."
)

#: seconds to wait for Redis to answer before saying it cannot be reached
REDIS_TIMEOUT_S = 3.0


def require_redis(redis_url: str) -> None:
    """Exit 2 with one sentence unless Redis answers within a few seconds."""
    client = redis.Redis.from_url(
        redis_url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    try:
        client.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        fail(REDIS_UNREACHABLE, EXIT_BAD_INPUT)
    finally:
        client.close()


@contextlib.contextmanager
def servers(*, migrate: bool = True, need_redis: bool = False) -> Iterator[Settings]:
    """Settings pointing at real servers (configured, or embedded ones), schema up to date;
    with `need_redis`, Redis answers (checked first, before anything is changed)."""
    configured = load_settings()
    with servers_for(configured) as settings:
        if need_redis:
            assert settings.redis_url is not None
            require_redis(settings.redis_url)
        if migrate:
            assert settings.database_url is not None
            url, create = settings.database_url, configured.database_url is None
            run_async(lambda: apply_pending(url, create=create))
        yield settings


async def apply_pending(database_url: str, *, create: bool) -> list[str]:
    """Bring the schema up to date (a quick no-op when it is); the database itself is created
    only when it is the embedded server's (`create`), a configured one by `ledgersync db create`."""
    from shared.db.migrate import migrate

    return await migrate(database_url, create=create)


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Run one coroutine function to completion on a fresh event loop."""
    return asyncio.run(_call(work))


async def _call(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def print_json(document: Any) -> None:
    """One JSON document on stdout, nothing else."""
    click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str).decode())
