"""Troubleshooting checks: a named list run in order, each `pass | fail | warn | skip`.

Each result carries one plain sentence saying what is wrong and what to do, and the titles of the
help pages to point the customer to. This module is the pure core: the results, the order, which
check skips when, and the facts the checks decide from (the results' names, statuses and titles are
in `shared.checks`, for everyone who shows a stored run). What each check concludes is in
`worker.checks.setup` (1-7) and `worker.checks.company` (8-12), with their shared sentences in
`worker.checks.sentences`; the local token-shape check is in `worker.checks.tokens`, the calls in
`worker.checks.runner`, and stored runs in `worker.checks.store`.

Skipping: once a check fails, every later check skips (its answer would only repeat or hide the
first cause); a check also skips when one it depends on was skipped (a SAF-T organization skips
them all).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.checks import (
    ORDER,
    TITLES,
    Check,
    CheckName,
    CheckStatus,
    first_failure,
)
from worker.checks.tokens import TokenShape
from worker.tripletex.errors import RateLimitState, TripletexError
from worker.tripletex.protocol import Company, WhoAmI

T = TypeVar("T")

#: the checks each one needs to have run (passed or warned); the add-on check is not needed by
#: the token check, because Tripletex reports the add-on only for a token it accepts
DEPENDS: dict[CheckName, tuple[CheckName, ...]] = {
    CheckName.API_SYNC: (),
    CheckName.PROVIDER: (CheckName.API_SYNC,),
    CheckName.CONSUMER_TOKEN: (CheckName.PROVIDER,),
    CheckName.TRIPLETEX_ANSWERS: (CheckName.CONSUMER_TOKEN,),
    CheckName.INTEGRATIONS_ADDON: (CheckName.TRIPLETEX_ANSWERS,),
    CheckName.EMPLOYEE_TOKEN: (CheckName.TRIPLETEX_ANSWERS,),
    CheckName.TOKEN_SHARED: (CheckName.EMPLOYEE_TOKEN,),
    CheckName.TOKEN_OWNER: (CheckName.INTEGRATIONS_ADDON, CheckName.TOKEN_SHARED),
    CheckName.COMPANY_REACHABLE: (CheckName.TOKEN_OWNER,),
    CheckName.LEDGER_ACCESS: (CheckName.COMPANY_REACHABLE,),
    CheckName.RATE_LIMIT: (CheckName.TRIPLETEX_ANSWERS,),
    CheckName.LEDGER_DATA: (CheckName.LEDGER_ACCESS,),
}


@dataclass(frozen=True, slots=True)
class Probe(Generic[T]):
    """One call's answer: its value, or the error it raised, and how long it took."""

    value: T | None = None
    error: TripletexError | None = None
    elapsed_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Owner:
    """Whom a token belonged to when the organization was last validated."""

    employee_id: int
    company_id: int


@dataclass(frozen=True, slots=True)
class Target:
    """The company the ledger checks read, and the Basic username that reaches it."""

    company_id: int
    name: str
    username: int
    #: how many companies the token reaches; whether an operator chose this one
    reachable: int
    chosen: bool


@dataclass(frozen=True, slots=True)
class LedgerData:
    """The accounting years Tripletex lists, and the newest of them with postings."""

    years: tuple[int, ...]
    newest_with_postings: int | None


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the checks decide from; holds no secret (tokens appear only as their shape)."""

    org_id: int
    method: str
    provider: str | None
    base_url: str
    consumer: TokenShape | None = None
    employee: TokenShape | None = None
    chosen_company: int | None = None
    chosen_name: str | None = None
    stored_owner: Owner | None = None
    create: Probe[None] | None = None
    who: Probe[WhoAmI] | None = None
    own: Probe[Company] | None = None
    clients: Probe[tuple[Company, ...]] | None = None
    target: Target | None = None
    login: Probe[Company] | None = None
    ledger: Probe[None] | None = None
    rate: RateLimitState | None = None
    data: Probe[LedgerData] | None = None


Verdict = Callable[[Facts], Check]


def skip_reason(name: CheckName, done: Sequence[Check]) -> str | None:
    """Why `name` skips given the checks run before it, or None when it runs."""
    failed = first_failure(done)
    if failed is not None:
        return f"Skipped because “{TITLES[failed.name]}” failed."
    status = {check.name: check.status for check in done}
    skipped = next((n for n in DEPENDS[name] if status.get(n) is CheckStatus.SKIP), None)
    return None if skipped is None else f"Skipped because “{TITLES[skipped]}” was skipped."


def next_check(facts: Facts, done: Sequence[Check], verdicts: dict[CheckName, Verdict]) -> Check:
    """The result of the check after `done`: skipped, or what its verdict says of `facts`."""
    name = ORDER[len(done)]
    reason = skip_reason(name, done)
    if reason is not None:
        return Check(name, CheckStatus.SKIP, reason)
    return verdicts[name](facts)


def conclude(facts: Facts, verdicts: dict[CheckName, Verdict]) -> list[Check]:
    """Every check's result from complete facts, in order."""
    done: list[Check] = []
    for _ in ORDER:
        done.append(next_check(facts, done, verdicts))
    return done
