"""Checks 1-7, the installation and the token: what each concludes from the facts (pure).

Where the API cannot tell two causes apart (an expired or revoked token and one created for
another application both answer 422/18000 on `arg:employeeToken`), the employee-token check fails
naming both, and "shared with this application" skips; Tripletex's own sentence is quoted to
sharpen the advice (the likelier cause first), never to decide.
"""

from __future__ import annotations

from shared.checks import Check, CheckName
from shared.help_pages import (
    CREATE_TOKEN,
    ENABLE_INTEGRATIONS,
    FIND_TOKEN,
    SAFT_EXPORT,
    SHARE_TOKEN,
)
from worker.checks.facts import Facts
from worker.checks.sentences import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    clause,
    error_of,
    rate_limited,
    status_text,
    wrong_environment,
)
from worker.tripletex.errors import (
    ConsumerTokenRejected,
    EmployeeTokenRejected,
    Forbidden,
    TransientUpstream,
    TripletexRateLimited,
    Unreachable,
)

#: an answer slower than this (in ms) is a warning
SLOW_MS = 5_000.0
#: how Tripletex answers `:create` about the tokens or the add-on: it answered as itself
_TOKEN_ANSWERS = (ConsumerTokenRejected, EmployeeTokenRejected, Forbidden)


def api_sync(facts: Facts) -> Check:
    """1. The organization synchronizes through an API (a SAF-T one skips every check)."""
    if facts.method == "api":
        return Check(CheckName.API_SYNC, PASS, "The organization synchronizes through the API.")
    return Check(
        CheckName.API_SYNC,
        SKIP,
        "The organization delivers SAF-T files instead of API synchronization, so these checks "
        f"do not apply; import its file with `ledgersync saft import {facts.org_id} FILE`.",
        (SAFT_EXPORT,),
    )


def provider(facts: Facts) -> Check:
    """2. The provider is Tripletex, the only one supported."""
    if facts.provider == "tripletex":
        return Check(CheckName.PROVIDER, PASS, "The provider is Tripletex.")
    return Check(
        CheckName.PROVIDER,
        FAIL,
        f"The provider {facts.provider or '(none)'} is not supported, only Tripletex is; "
        "import the ledger as a SAF-T file instead.",
        (SAFT_EXPORT,),
    )


def consumer_token(facts: Facts) -> Check:
    """3. This installation has a well-formed consumer token that Tripletex knows."""
    name, shape = CheckName.CONSUMER_TOKEN, facts.consumer
    fix = "set LEDGERSYNC_CONSUMER_TOKEN to the consumer token Tripletex issued for ledgersync"
    if shape is None:
        return Check(name, FAIL, f"This installation has no consumer token: {fix}.")
    if shape.problem is not None:
        return Check(name, FAIL, f"LEDGERSYNC_CONSUMER_TOKEN {shape.problem}: {fix}.")
    if wrong_environment(shape, facts):
        return Check(
            name,
            FAIL,
            f"LEDGERSYNC_CONSUMER_TOKEN is a test-environment token but {facts.base_url} is "
            f"Tripletex production: {fix} in production.",
        )
    if facts.create is not None and isinstance(facts.create.error, ConsumerTokenRejected):
        return Check(
            name,
            FAIL,
            "Tripletex does not know this installation's consumer token (422 on "
            "arg:consumerToken): it is mistyped, revoked or from the other environment (test or "
            f"production); {fix} for {facts.base_url}.",
        )
    return Check(name, PASS, "A well-formed consumer token is configured.")


def tripletex_answers(facts: Facts) -> Check:
    """4. Tripletex answers `POST /token/session/:create` (DNS, TLS, HTTP), timed."""
    name, create = CheckName.TRIPLETEX_ANSWERS, facts.create
    if create is None:
        return Check(name, SKIP, "Tripletex was not called.")
    took, error = f"{create.elapsed_ms:.0f} ms", create.error
    if isinstance(error, TripletexRateLimited):
        return Check(name, FAIL, rate_limited("POST /token/session/:create", error))
    if isinstance(error, Unreachable):
        return Check(
            name,
            FAIL,
            f"{clause(error)} after {took}: check the network, DNS, TLS and firewall, and "
            f"that LEDGERSYNC_TRIPLETEX_URL ({facts.base_url}) is right.",
        )
    if isinstance(error, TransientUpstream):
        return Check(
            name,
            FAIL,
            f"Tripletex failed to answer POST /token/session/:create ({status_text(error)} after "
            f"{took}): it may be down or overloaded; try again in a few minutes.",
        )
    if error is not None and not isinstance(error, _TOKEN_ANSWERS):
        return Check(
            name,
            FAIL,
            f"Something answers at {facts.base_url} (in {took}) but not as the Tripletex API "
            f"does ({clause(error)}); check LEDGERSYNC_TRIPLETEX_URL.",
        )
    status = WARN if create.elapsed_ms > SLOW_MS else PASS
    slow = ", which is slow: imports will be slow too" if status is WARN else ""
    return Check(
        name,
        status,
        f"Tripletex answered POST /token/session/:create in {took}{slow} (DNS, connection and "
        "HTTP work).",
    )


def integrations_addon(facts: Facts) -> Check:
    """5. The Integrations add-on is active: 403 on `:create` says it is not."""
    name, error = CheckName.INTEGRATIONS_ADDON, error_of(facts.create)
    if isinstance(error, Forbidden):
        return Check(
            name,
            FAIL,
            "Tripletex refused to open a session (403 on :create) because the Integrations add-on "
            "is not active in the customer's Tripletex: ask the customer's administrator to "
            "activate “Integrations” under Company → My subscription, then run the checks again.",
            (ENABLE_INTEGRATIONS,),
        )
    if error is not None:
        return Check(
            name,
            SKIP,
            "Not known yet: Tripletex tells whether the add-on is active only for an employee "
            "token it accepts (see the next check).",
        )
    return Check(name, PASS, "The Integrations add-on is active: Tripletex opened a session.")


def employee_token(facts: Facts) -> Check:
    """6. The employee token is well-formed, from the right environment, and accepted."""
    name, shape = CheckName.EMPLOYEE_TOKEN, facts.employee
    replace = f"then replace it with `ledgersync org token {facts.org_id} --token-stdin`"
    if shape is None:
        return Check(
            name,
            FAIL,
            "No employee token is stored for this organization: ask the customer for one, "
            f"{replace}.",
            (CREATE_TOKEN,),
        )
    if shape.problem is not None:
        return Check(
            name,
            FAIL,
            f"The stored employee token {shape.problem}: ask the customer to copy it again "
            f"(Tripletex shows it only once; if it is lost, create a new one), {replace}.",
            (FIND_TOKEN, CREATE_TOKEN),
        )
    if wrong_environment(shape, facts):
        return Check(
            name,
            FAIL,
            "The employee token was created in Tripletex's test environment but this installation "
            "uses production: ask the customer for a token from their production Tripletex, "
            f"{replace}.",
            (CREATE_TOKEN,),
        )
    error = error_of(facts.create)
    if isinstance(error, EmployeeTokenRejected):
        return Check(name, FAIL, _rejected(error, replace), (CREATE_TOKEN, FIND_TOKEN, SHARE_TOKEN))
    return Check(name, PASS, "Tripletex accepted the employee token and opened a session.")


def _rejected(error: EmployeeTokenRejected, replace: str) -> str:
    """Both causes of a 422 on `arg:employeeToken`, the likelier one first if Tripletex hints."""
    invalid = "the token is mistyped, expired or revoked (ask the customer to create a new one)"
    unshared = (
        "the token was created for another application (ask the customer to create it for, or "
        "share it with, this application)"
    )
    first, second = (unshared, invalid) if _hints_application(error.detail) else (invalid, unshared)
    quoted = f" (Tripletex says: “{error.detail}”)" if error.detail else ""
    return (
        "Tripletex rejected the employee token (422 on arg:employeeToken) for one of two causes it "
        f"does not tell apart{quoted}: either {first}, or {second}; {replace}."
    )


def _hints_application(detail: str | None) -> bool:
    """Whether Tripletex's sentence points at the application (advice only, never a verdict)."""
    return detail is not None and "application" in detail.lower()


def token_shared(facts: Facts) -> Check:
    """7. The token is shared with this application: Tripletex opened a session with our token."""
    if facts.create is None or facts.create.error is not None:
        return Check(CheckName.TOKEN_SHARED, SKIP, "Not known: Tripletex opened no session.")
    return Check(
        CheckName.TOKEN_SHARED,
        PASS,
        "The token is shared with this application: Tripletex opened a session for it with this "
        "installation's consumer token.",
    )
