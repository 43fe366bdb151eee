"""How a failed job goes on, by cause: at once never, soon with backoff, or not at all.

Pure: no I/O. Access problems and bad input stop at once (a person must act); transient faults
(Tripletex 5xx, timeouts, resets, truncated bodies, dropped database or Redis connections) are
retried with exponential backoff and jitter, a bounded number of times; anything else gets a
few retries too. Rate limits are pacing, not failure: they never use up a retry.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import asyncpg
import redis.exceptions

from shared.errors import BadInput, ConfigError, PermanentJobError, RateLimited
from shared.jobs import StopReason
from worker.onboarding import ACCESS_ERRORS
from worker.sync.store import BrokenPage
from worker.tripletex.errors import InvalidRequest, NotFound, TransientUpstream


class Cause(StrEnum):
    """What kind of failure an exception is."""

    PERMANENT = "permanent"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    OTHER = "other"


#: errors that retrying cannot fix
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentJobError,
    BadInput,
    ConfigError,
    *ACCESS_ERRORS,
    InvalidRequest,
    NotFound,
)
#: errors that the same job may well not meet a little later
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientUpstream,
    BrokenPage,  # a page cut short on the way: fetched again
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # pg_terminate_backend, shutdown, restart
    asyncpg.exceptions.TransactionRollbackError,  # serialization failures, deadlocks
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def cause_of(exc: BaseException) -> Cause:
    """The kind of failure `exc` is (a rate limit before its transient base class)."""
    if isinstance(exc, RateLimited):
        return Cause.RATE_LIMITED
    if isinstance(exc, PERMANENT_ERRORS):
        return Cause.PERMANENT
    if isinstance(exc, TRANSIENT_ERRORS):
        return Cause.TRANSIENT
    return Cause.OTHER


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens after a failed attempt: retry after `delay_ms`, or stop for `stop_reason`."""

    cause: Cause
    delay_ms: int | None = None
    stop_reason: StopReason | None = None

    @property
    def retry(self) -> bool:
        """Whether another attempt is coming."""
        return self.stop_reason is None


#: retries of a job failing with transient errors
TRANSIENT_RETRIES = 5
#: retries of a job failing with any other (unclassified) error
OTHER_RETRIES = 2
#: backoff before the first retry, doubled for each later one, in milliseconds
MIN_BACKOFF_MS = 2_000
MAX_BACKOFF_MS = 120_000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry budgets and backoff; `from_env` reads the LEDGERSYNC_JOB_* tuning knobs."""

    transient_retries: int = TRANSIENT_RETRIES
    other_retries: int = OTHER_RETRIES
    min_backoff_ms: int = MIN_BACKOFF_MS
    max_backoff_ms: int = MAX_BACKOFF_MS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> RetryPolicy:
        """The defaults, with LEDGERSYNC_JOB_RETRIES and LEDGERSYNC_JOB_BACKOFF_MS applied."""
        retries = _whole(environ, "LEDGERSYNC_JOB_RETRIES", TRANSIENT_RETRIES)
        backoff = _whole(environ, "LEDGERSYNC_JOB_BACKOFF_MS", MIN_BACKOFF_MS)
        return cls(
            transient_retries=retries,
            other_retries=min(retries, OTHER_RETRIES),
            min_backoff_ms=backoff,
            max_backoff_ms=max(backoff, MAX_BACKOFF_MS),
        )

    def decide(self, exc: BaseException, retries: int) -> Decision:
        """After a failed attempt that followed `retries` retries: retry when, or stop why."""
        cause = cause_of(exc)
        if cause is Cause.PERMANENT:
            return Decision(cause, stop_reason=StopReason.PERMANENT)
        if cause is Cause.RATE_LIMITED:
            assert isinstance(exc, RateLimited)
            return Decision(cause, delay_ms=int(exc.retry_after * 1000) + self.jitter_ms())
        budget = self.transient_retries if cause is Cause.TRANSIENT else self.other_retries
        if retries >= budget:
            return Decision(cause, stop_reason=StopReason.RETRIES_EXHAUSTED)
        return Decision(cause, delay_ms=self.backoff_ms(retries))

    def backoff_ms(self, retries: int) -> int:
        """Exponential backoff with equal jitter: between half and all of min × 2^retries."""
        ceiling = min(self.max_backoff_ms, self.min_backoff_ms * 2 ** min(retries, 30))
        return int(random.uniform(ceiling / 2, ceiling))

    def jitter_ms(self) -> int:
        """A little spread, so jobs waiting out one rate limit do not all wake at once."""
        return int(random.uniform(0, self.min_backoff_ms / 2))


def _whole(environ: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of at least 0 from the environment; ConfigError naming it otherwise."""
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"{name} must be a whole number of at least 0, not {raw!r}.")
    return value
