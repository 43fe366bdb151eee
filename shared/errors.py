"""The whole exception hierarchy: every error ledgersync raises on purpose is an `AppError`."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error ledgersync raises on purpose; its message is one plain sentence."""

    #: the command line's exit code for it (contract: 1 failed, 2 bad input, 3 timed out)
    exit_code: int = 1


class ConfigError(AppError):
    """Configuration is missing or invalid (names every problem at once)."""

    exit_code = 2


class BadInput(AppError):
    """The user asked for what cannot be done as asked (unknown org, invalid file, ...)."""

    exit_code = 2


class TimedOut(AppError):
    """Waiting for something took longer than the caller allowed."""

    exit_code = 3


class EmbeddedServerError(AppError):
    """An embedded Postgres or Redis could not be started or reached."""


class UpstreamError(AppError):
    """Tripletex (or the sandbox) answered with an error or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RateLimited(UpstreamError):
    """The API's rate limit is exhausted: wait `retry_after` seconds (pacing, not failure)."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class StorageError(AppError):
    """Postgres refused a write or a read (translated from asyncpg at the boundary)."""


class PermanentJobError(AppError):
    """A job that can never succeed as it stands: do not retry it."""
