"""The words the checks share: help page titles, and one sentence per kind of failed call.

The sentences decide from the error's class (picked by the client from status, ApiError code and
validation field), never from Tripletex's wording, which is quoted at most.
"""

from __future__ import annotations

from typing import Any, TypeVar

from shared.checks import Check, CheckName, CheckStatus
from shared.help_pages import CREATE_TOKEN
from worker.checks.facts import Facts, Probe
from worker.checks.tokens import TokenShape, is_production
from worker.tripletex.errors import (
    Forbidden,
    TransientUpstream,
    TripletexError,
    TripletexRateLimited,
    Unauthorized,
)
from worker.tripletex.protocol import Company

T = TypeVar("T")

PASS, FAIL, WARN, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.SKIP


def call_failed(name: CheckName, what: str, error: TripletexError | None) -> Check:
    """A check whose call failed for a reason not its own: one sentence per class of error."""
    if isinstance(error, TripletexRateLimited):
        return Check(name, FAIL, rate_limited(what, error))
    if isinstance(error, Unauthorized):
        sentence = (
            f"Tripletex refused the new session on {what} (401): the token may have been revoked "
            "or its access removed while the checks ran; run the checks again, and if this "
            "persists, ask the customer for a new token."
        )
    elif isinstance(error, Forbidden):
        sentence = (
            f"Tripletex refused {what} (403): the token lacks the access this needs; ask the "
            "customer to create a token with “All accesses”."
        )
    elif isinstance(error, TransientUpstream):
        sentence = (
            f"Tripletex failed to answer {what} ({status_text(error)}): it may be down or "
            "overloaded; try again in a few minutes."
        )
    else:
        detail = f": {clause(error)}" if error is not None else ""
        sentence = f"Tripletex answered {what} unexpectedly{detail}; run the checks again."
    return Check(name, FAIL, sentence, (CREATE_TOKEN,) if isinstance(error, Forbidden) else ())


def rate_limited(what: str, error: TripletexRateLimited) -> str:
    """The sentence for a 429: wait, and others share the limit."""
    return (
        f"Tripletex refuses more requests for this token now (429 on {what}: its rate limit is "
        f"used up); wait about {error.retry_after:.0f} s and run the checks again, and note that "
        "other integrations using the same employee token share its limit."
    )


def wrong_environment(shape: TokenShape, facts: Facts) -> bool:
    """Whether a test-environment token is used against Tripletex production."""
    return shape.test_environment and is_production(facts.base_url)


def error_of(probe: Probe[Any] | None) -> TripletexError | None:
    """The probe's error, if it was made and failed."""
    return None if probe is None else probe.error


def value_of(probe: Probe[T] | None) -> T | None:
    """The probe's value, if it was made and succeeded."""
    return None if probe is None else probe.value


def status_text(error: TripletexError) -> str:
    """`HTTP 503`, or what stands in for a status when there was none."""
    return f"HTTP {error.status}" if error.status else "no complete answer"


def clause(error: TripletexError) -> str:
    """The error's own sentence without its full stop, to embed in ours."""
    return str(error).rstrip(".")


def company_label(company_id: int, company: Company | None, name: str | None = None) -> str:
    """`company “Name” (#id)`, or `company #id` without a name."""
    label = (company.name if company else None) or name
    return f"company “{label}” (#{company_id})" if label else f"company #{company_id}"
