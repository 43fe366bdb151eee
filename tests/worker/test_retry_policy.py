"""The retry policy by cause: permanent errors stop at once, transient ones back off, bounded."""

from __future__ import annotations

import asyncpg
import pytest
import redis.exceptions

from shared.errors import BadInput, ConfigError, PermanentJobError
from shared.jobs import StopReason
from worker.retry_policy import Cause, RetryPolicy, cause_of
from worker.sync.store import BrokenPage
from worker.tripletex.errors import (
    EmployeeTokenRejected,
    Forbidden,
    InvalidRequest,
    TransientUpstream,
    TripletexRateLimited,
    Unreachable,
)

POLICY = RetryPolicy(transient_retries=3, other_retries=1, min_backoff_ms=1_000)


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (PermanentJobError("x"), Cause.PERMANENT),
        (BadInput("x"), Cause.PERMANENT),
        (ConfigError("x"), Cause.PERMANENT),
        (EmployeeTokenRejected("x", status=422), Cause.PERMANENT),
        (Forbidden("x", status=403), Cause.PERMANENT),
        (InvalidRequest("x", status=400), Cause.PERMANENT),
        (TransientUpstream("x", status=503), Cause.TRANSIENT),
        (Unreachable("x"), Cause.TRANSIENT),
        (BrokenPage("x"), Cause.TRANSIENT),
        (asyncpg.ConnectionDoesNotExistError("x"), Cause.TRANSIENT),
        (asyncpg.InterfaceError("x"), Cause.TRANSIENT),
        (asyncpg.exceptions.AdminShutdownError("x"), Cause.TRANSIENT),
        (redis.exceptions.ConnectionError("x"), Cause.TRANSIENT),
        (ConnectionResetError("x"), Cause.TRANSIENT),
        (TimeoutError(), Cause.TRANSIENT),
        (TripletexRateLimited("x", retry_after=3.0), Cause.RATE_LIMITED),
        (KeyError("x"), Cause.OTHER),
        (asyncpg.UniqueViolationError("x"), Cause.OTHER),
    ],
)
def test_each_error_has_its_cause(exc: BaseException, cause: Cause) -> None:
    assert cause_of(exc) is cause


def test_a_permanent_error_stops_at_once() -> None:
    decision = POLICY.decide(Forbidden("no", status=403), retries=0)
    assert not decision.retry
    assert decision.stop_reason is StopReason.PERMANENT


def test_transient_errors_retry_with_growing_backoff_until_the_budget_is_used() -> None:
    delays = []
    for retries in range(3):
        decision = POLICY.decide(TransientUpstream("503", status=503), retries)
        assert decision.retry
        assert decision.delay_ms is not None
        delays.append(decision.delay_ms)
    for retries, delay in enumerate(delays):
        ceiling = 1_000 * 2**retries
        assert ceiling / 2 <= delay <= ceiling, "equal jitter: between half and all of the step"
    last = POLICY.decide(TransientUpstream("503", status=503), retries=3)
    assert last.stop_reason is StopReason.RETRIES_EXHAUSTED


def test_other_errors_get_their_own_smaller_budget() -> None:
    assert POLICY.decide(KeyError("k"), retries=0).retry
    assert POLICY.decide(KeyError("k"), retries=1).stop_reason is StopReason.RETRIES_EXHAUSTED


def test_a_rate_limit_waits_its_time_and_never_runs_out() -> None:
    decision = POLICY.decide(TripletexRateLimited("429", retry_after=7.0), retries=50)
    assert decision.retry
    assert decision.delay_ms is not None
    assert 7_000 <= decision.delay_ms <= 7_500


def test_backoff_is_capped() -> None:
    assert POLICY.backoff_ms(40) <= POLICY.max_backoff_ms


def test_from_env_reads_the_tuning_knobs_and_names_a_bad_one() -> None:
    policy = RetryPolicy.from_env(
        {"LEDGERSYNC_JOB_RETRIES": "1", "LEDGERSYNC_JOB_BACKOFF_MS": "50"}
    )
    assert (policy.transient_retries, policy.other_retries, policy.min_backoff_ms) == (1, 1, 50)
    assert RetryPolicy.from_env({}) == RetryPolicy()
    with pytest.raises(ConfigError, match="LEDGERSYNC_JOB_RETRIES"):
        RetryPolicy.from_env({"LEDGERSYNC_JOB_RETRIES": "many"})
