"""Run the troubleshooting checks against Tripletex: the calls around the pure checks.

A run opens a fresh session with the organization's employee token and this installation's
consumer token (it never touches the session the workers use), and makes only the calls the next
check needs: `POST :create` (timed, for "Tripletex answers"), who-am-I and the token's own company,
`company/>withLoginAccess` (and, for an accountant's client, a call with the client's id as the
Basic username), a one-posting ledger probe, and the accounting years with a one-posting probe
per year, newest first, until one has postings. Rate-limit headroom comes from the last
X-Rate-Limit-* headers, seen through the client's `on_rate_limit` hook.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import aiohttp
import asyncpg
import structlog

from shared.checks import ORDER, Check, CheckName
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.models import FIRST_YEAR
from worker.checks.company import (
    choose_target,
    company_reachable,
    ledger_access,
    ledger_data,
    rate_limit,
    token_owner,
)
from worker.checks.facts import Facts, LedgerData, Probe, Verdict, next_check, skip_reason
from worker.checks.sentences import wrong_environment
from worker.checks.setup import (
    api_sync,
    consumer_token,
    employee_token,
    integrations_addon,
    provider,
    token_shared,
    tripletex_answers,
)
from worker.checks.store import CheckRun, Subject, Trigger, load_subject, recent_failure, store_run
from worker.checks.tokens import inspect_token
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import RateLimitState, ResultSetTooLarge, TripletexError
from worker.tripletex.protocol import Auth, PostingQuery, fingerprint, oslo_today

T = TypeVar("T")
logger = structlog.get_logger(__name__)

#: the checks' own, shorter patience per request
CHECK_TIMEOUT = aiohttp.ClientTimeout(total=20, connect=5)
#: a worker's whole run of the checks may take this long before it gives up on them
DIAGNOSE_TIMEOUT_S = 60.0
#: a failing run an access error started this recently is reused (concurrent chunks fail at once)
REUSE_S = 60.0
#: each check's verdict on the facts
VERDICTS: dict[CheckName, Verdict] = {
    CheckName.API_SYNC: api_sync,
    CheckName.PROVIDER: provider,
    CheckName.CONSUMER_TOKEN: consumer_token,
    CheckName.TRIPLETEX_ANSWERS: tripletex_answers,
    CheckName.INTEGRATIONS_ADDON: integrations_addon,
    CheckName.EMPLOYEE_TOKEN: employee_token,
    CheckName.TOKEN_SHARED: token_shared,
    CheckName.TOKEN_OWNER: token_owner,
    CheckName.COMPANY_REACHABLE: company_reachable,
    CheckName.LEDGER_ACCESS: ledger_access,
    CheckName.RATE_LIMIT: rate_limit,
    CheckName.LEDGER_DATA: ledger_data,
}


class _Calls:
    """One run's client, tokens and session, and the last rate-limit headers it saw."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings, subject: Subject) -> None:
        self.client = TripletexClient(
            http, settings.tripletex_url, timeout=CHECK_TIMEOUT, on_rate_limit=self._observe
        )
        self.consumer_token = settings.consumer_token or ""
        self.employee_token = subject.employee_token or ""
        self.session_token = ""
        self.rate: RateLimitState | None = None

    def _observe(self, _key: str, state: RateLimitState) -> None:
        self.rate = state

    def auth(self, username: int = 0) -> Auth:
        """This run's session, in the token's own company (0) or a client's (its id)."""
        return Auth(self.session_token, username, limit_key=fingerprint(self.employee_token))


async def _timed(call: Awaitable[T]) -> Probe[T]:
    """Await a call: its value or its Tripletex error, with the time it took."""
    start = time.perf_counter()
    try:
        value = await call
    except TripletexError as exc:
        return Probe(error=exc, elapsed_ms=(time.perf_counter() - start) * 1000)
    return Probe(value, None, (time.perf_counter() - start) * 1000)


def initial_facts(subject: Subject, settings: Settings) -> Facts:
    """What is known before any call: the organization, the settings, the tokens' shapes."""
    consumer, employee = settings.consumer_token, subject.employee_token
    return Facts(
        org_id=subject.org_id,
        method=subject.method,
        provider=subject.provider,
        base_url=settings.tripletex_url,
        consumer=inspect_token(consumer) if consumer is not None else None,
        employee=inspect_token(employee) if employee is not None else None,
        chosen_company=subject.company_id,
        chosen_name=subject.company_name,
        stored_owner=subject.stored_owner,
    )


async def _create(calls: _Calls, facts: Facts) -> Facts:
    """`POST :create`, when the consumer token is worth sending (checked locally first)."""
    shape = facts.consumer
    if shape is None or not shape.well_formed or wrong_environment(shape, facts):
        return facts
    expires = oslo_today() + dt.timedelta(days=1)
    probe = await _timed(
        calls.client.create_session(calls.consumer_token, calls.employee_token, expires)
    )
    if probe.value is not None:
        calls.session_token = probe.value.token
    return replace(facts, create=Probe(None, probe.error, probe.elapsed_ms))


async def _who(calls: _Calls, facts: Facts) -> Facts:
    """Who-am-I, and the token's own company (an accountant token may not read it: 403)."""
    who = await _timed(calls.client.who_am_i(calls.auth()))
    if who.value is None:
        return replace(facts, who=who)
    own = await _timed(calls.client.company(calls.auth(), who.value.company_id))
    return replace(facts, who=who, own=own)


async def _companies(calls: _Calls, facts: Facts) -> Facts:
    """The accountant's clients; then the target company, logged in to if it is a client."""
    listed = await _timed(calls.client.companies_with_login_access(calls.auth()))
    clients = Probe(tuple(listed.value or ()), listed.error, listed.elapsed_ms)
    facts = replace(facts, clients=clients)
    target = choose_target(facts) if listed.error is None else None
    if target is None or target.username == 0:
        return replace(facts, target=target)
    login = await _timed(calls.client.company(calls.auth(target.username), target.company_id))
    return replace(facts, target=target, login=login)


async def _ledger(calls: _Calls, facts: Facts) -> Facts:
    """A one-posting query on the target company's ledger."""
    username = facts.target.username if facts.target else 0
    probe = await _timed(calls.client.probe_ledger_access(calls.auth(username)))
    return replace(facts, ledger=probe)


async def _rate(calls: _Calls, facts: Facts) -> Facts:
    """The last rate-limit headers seen."""
    return replace(facts, rate=calls.rate)


async def _data(calls: _Calls, facts: Facts) -> Facts:
    """The accounting years, and the newest with postings."""
    auth = calls.auth(facts.target.username if facts.target else 0)
    return replace(facts, data=await _timed(_ledger_data(calls.client, auth)))


async def _ledger_data(client: TripletexClient, auth: Auth) -> LedgerData:
    """The years with an annual account, probed newest first until one has postings."""
    years = tuple(await client.annual_account_years(auth, FIRST_YEAR, oslo_today().year + 2))
    for year in sorted(years, reverse=True):
        if await _has_postings(client, auth, year):
            return LedgerData(years, year)
    return LedgerData(years, None)


async def _has_postings(client: TripletexClient, auth: Auth, year: int) -> bool:
    """Whether a year has a posting (more than 10,000 answer "too large": it has)."""
    try:
        query = PostingQuery(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        page = await client.raw_posting_page(auth, query, 0, 1)
    except ResultSetTooLarge:
        return True
    return page.count > 0


#: the calls each check needs before its verdict, made only when the check runs
GATHER: dict[CheckName, Callable[[_Calls, Facts], Awaitable[Facts]]] = {
    CheckName.CONSUMER_TOKEN: _create,
    CheckName.TOKEN_OWNER: _who,
    CheckName.COMPANY_REACHABLE: _companies,
    CheckName.LEDGER_ACCESS: _ledger,
    CheckName.RATE_LIMIT: _rate,
    CheckName.LEDGER_DATA: _data,
}


async def run_checks(
    http: aiohttp.ClientSession, settings: Settings, subject: Subject
) -> list[Check]:
    """Every check's result in order; a check's calls are made only when it runs."""
    calls, facts = _Calls(http, settings, subject), initial_facts(subject, settings)
    done: list[Check] = []
    for name in ORDER:
        if name in GATHER and skip_reason(name, done) is None:
            facts = await GATHER[name](calls, facts)
        done.append(next_check(facts, done, VERDICTS))
    return done


@dataclass(frozen=True, slots=True)
class Checker:
    """What a run of the checks goes out with: the HTTP session, the settings, and the cipher
    that opens a stored employee token (None: without a key, a stored token is a ConfigError)."""

    http: aiohttp.ClientSession
    settings: Settings
    cipher: TokenCipher | None


async def check_org(
    conn: asyncpg.Connection, checker: Checker, org_id: int, *, trigger: Trigger
) -> CheckRun:
    """Run the checks for one organization and store the run."""
    subject = await load_subject(conn, org_id, checker.cipher)
    results = await run_checks(checker.http, checker.settings, subject)
    return await store_run(conn, org_id, trigger, results)


async def diagnose(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    settings: Settings,
    cipher: TokenCipher,
    org_id: int,
) -> Check | None:
    """The first failing check of an organization with an access problem, the run stored.

    Never raises: None when the checks find no failure or cannot run (the caller keeps its own
    sentence), so a check failure never crashes the job handling.
    """
    try:
        async with _lock(org_id):
            return await asyncio.wait_for(
                _diagnose(pool, http, settings, cipher, org_id), DIAGNOSE_TIMEOUT_S
            )
    except Exception:
        logger.warning("checks_failed", org_id=org_id, exc_info=True)
        return None


async def _diagnose(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    settings: Settings,
    cipher: TokenCipher,
    org_id: int,
) -> Check | None:
    async with pool.acquire() as conn:
        recent = await recent_failure(conn, org_id, REUSE_S)
        if recent is not None:
            return recent.first_failure
        subject = await load_subject(conn, org_id, cipher)
    results = await run_checks(http, settings, subject)
    async with pool.acquire() as conn:
        run = await store_run(conn, org_id, Trigger.ACCESS_ERROR, results)
    failed = run.first_failure
    logger.info("checks_run", org_id=org_id, first_failure=failed.name if failed else None)
    return failed


#: one run at a time per organization and event loop: concurrent chunks fail together
_LOCKS: dict[tuple[int, int], asyncio.Lock] = {}


def _lock(org_id: int) -> asyncio.Lock:
    key = (id(asyncio.get_running_loop()), org_id)
    return _LOCKS.setdefault(key, asyncio.Lock())
