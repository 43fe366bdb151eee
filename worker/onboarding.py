"""The onboarding steps around the pipeline: what happens next, and access problems.

An access problem (a rejected token, a refused permission, missing configuration) is never retried:
the organization moves to "needs attention" with one sentence saying what to do, and the job ends.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import structlog

from shared.errors import ConfigError, PermanentJobError
from shared.orgs.state import needs_attention
from shared.outbox import flush
from worker.checks.runner import diagnose
from worker.resources import Resources
from worker.tripletex.errors import (
    ConsumerTokenRejected,
    EmployeeTokenRejected,
    Forbidden,
    Unauthorized,
)
from worker.validation import validate

T = TypeVar("T")
logger = structlog.get_logger(__name__)

#: errors that retrying cannot fix: a person must act
ACCESS_ERRORS = (ConsumerTokenRejected, EmployeeTokenRejected, Forbidden, Unauthorized, ConfigError)


def explain(exc: Exception) -> str:
    """One sentence: what is wrong, and what to do."""
    if isinstance(exc, EmployeeTokenRejected):
        return (
            "Tripletex rejected the employee token: it is mistyped, expired or revoked, or was "
            "created for another application; ask the customer for a new token shared with this "
            "application, then `ledgersync org token`."
        )
    if isinstance(exc, ConsumerTokenRejected):
        return (
            "Tripletex rejected this installation's consumer token; "
            "check LEDGERSYNC_CONSUMER_TOKEN."
        )
    if isinstance(exc, Forbidden):
        return (
            "Tripletex refused access (403): the Integrations add-on may be off, or the token "
            "lacks rights for this; run `ledgersync check` to see which."
        )
    if isinstance(exc, Unauthorized):
        return "Tripletex refused the session even after renewing it (401); run `ledgersync check`."
    return str(exc)


async def mark_needs_attention(res: Resources, org_id: int, exc: Exception) -> PermanentJobError:
    """Record the problem on the organization; the error to end the job with.

    The troubleshooting checks run first (and are stored): the first failing check's sentence
    becomes the reason; `explain(exc)` stands in when they find nothing or cannot run.
    """
    failed = await diagnose(res.pool, res.http, res.settings, res.access.cipher, org_id)
    sentence = failed.message if failed is not None else explain(exc)
    async with res.pool.acquire() as conn:
        await needs_attention(conn, org_id, sentence)
    logger.warning("needs_attention", org_id=org_id, error=type(exc).__name__)
    return PermanentJobError(sentence)


async def guarded(res: Resources, org_id: int, step: Awaitable[T]) -> T:
    """Run a step; turn an access problem into "needs attention" and a permanent failure."""
    try:
        return await step
    except ACCESS_ERRORS as exc:
        raise await mark_needs_attention(res, org_id, exc) from exc


async def validate_and_continue(res: Resources, org_id: int) -> None:
    """Validate; when the company is known, plan the import (staged with the state change)."""
    _, staged = await guarded(res, org_id, validate(res.access, org_id))
    await flush(res.pool, res.broker, [staged])
