"""The Tripletex client against the project's sandbox: the same code that talks to tripletex.no."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from sandbox.faults import Faults
from sandbox.scenario import build_scenario
from sandbox.server import SandboxServer
from sandbox.truth import describe
from shared.errors import RateLimited
from worker.tripletex.access import _still_valid
from worker.tripletex.client import TripletexClient
from worker.tripletex.errors import (
    ConsumerTokenRejected,
    EmployeeTokenRejected,
    Forbidden,
    InvalidRequest,
    RateLimitState,
    ResultSetTooLarge,
    TransientUpstream,
    TripletexError,
    Unauthorized,
)
from worker.tripletex.protocol import Auth, decode_json, oslo_today, to_decimal

SCENARIO = build_scenario("small", seed=1)
OSLO = ZoneInfo("Europe/Oslo")
TRUTH = describe(SCENARIO)
CONSUMER: str = TRUTH["consumer_token"]
TOKENS: dict[str, str] = TRUTH["tokens"]
EXPIRES = dt.date.today() + dt.timedelta(days=2)


def truth_of(company_id: int) -> dict[str, Any]:
    """The truth about one company."""
    return next(c for c in TRUTH["companies"] if c["id"] == company_id)


def year(y: int) -> tuple[dt.date, dt.date]:
    """A whole year as (dateFrom, dateTo exclusive)."""
    return dt.date(y, 1, 1), dt.date(y + 1, 1, 1)


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[SandboxServer]:
    """The healthy sandbox, shared by the tests that do not change it."""
    async with SandboxServer(SCENARIO, Faults(rate_limit=100_000)) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """The ClientSession a worker would inject."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(http: aiohttp.ClientSession, sandbox: SandboxServer) -> TripletexClient:
    """A client of the healthy sandbox."""
    return TripletexClient(http, sandbox.base_url)


async def login(client: TripletexClient, label: str, company_id: int = 0) -> Auth:
    """A session for the labelled token, acting in `company_id`."""
    session = await client.create_session(CONSUMER, TOKENS[label], EXPIRES)
    return session.auth(company_id)


async def count_and_totals(
    client: TripletexClient, auth: Auth, date_from: dt.date, date_to: dt.date
) -> tuple[int, Decimal, Decimal, dict[str, Decimal]]:
    """Postings in the range: count, debit, credit and sums per account number."""
    count, debit, credit = 0, Decimal(0), Decimal(0)
    by_account: dict[str, Decimal] = {}
    async for page in client.iter_raw_postings(auth, date_from, date_to):
        for posting in decode_json(page.raw)["values"]:
            amount = to_decimal(posting["amount"])
            count += 1
            debit += max(amount, Decimal(0))
            credit += min(amount, Decimal(0))
            number = str((posting.get("account") or {}).get("number"))
            by_account[number] = by_account.get(number, Decimal(0)) + amount
    return count, debit, credit, by_account


async def test_good_token_reads_its_own_books_as_the_truth_says(client: TripletexClient) -> None:
    auth = await login(client, "good")
    me = await client.who_am_i(auth)
    company = await client.company(auth, me.company_id)
    truth = truth_of(me.company_id)
    assert (company.name, company.organization_number) == (
        truth["name"],
        truth["organizationNumber"],
    )
    years = await client.annual_account_years(auth, 2000, 2100)
    assert set(map(str, years)) >= set(truth["years"])
    assert await client.companies_with_login_access(auth) == []
    await client.probe_ledger_access(auth)
    for name, expected in truth["years"].items():
        count, debit, credit, by_account = await count_and_totals(client, auth, *year(int(name)))
        assert (count, debit, credit) == (
            expected["count"],
            Decimal(expected["debit"]),
            Decimal(expected["credit"]),
        )
        sums = await client.ledger_sums(auth, *year(int(name)))
        assert {k: v for k, v in sums.items() if v} == {k: v for k, v in by_account.items() if v}
        assert sum(sums.values()) == 0


async def test_accountant_token_reaches_its_clients_by_id(client: TripletexClient) -> None:
    own = await login(client, "accountant")
    clients = await client.companies_with_login_access(own, page_size=2)
    reached = {c["id"] for c in TRUTH["companies"] if "accountant" in c["reached_by"]}
    assert {c.id for c in clients} == reached
    assert all(c.customer_company_id not in (None, c.id) for c in clients)
    with pytest.raises(Forbidden):
        await client.company(own, clients[0].id)
    for found in clients:
        auth = Auth(own.session_token, found.id)
        assert (await client.company(auth, found.id)).name == truth_of(found.id)["name"]
    last = clients[-1]
    name, expected = max(truth_of(last.id)["years"].items())
    auth = Auth(own.session_token, last.id)
    assert (await count_and_totals(client, auth, *year(int(name))))[0] == expected["count"]


async def count_split(client: TripletexClient, auth: Auth, start: dt.date, end: dt.date) -> int:
    """Postings in the range, halving it wherever it holds more than 10,000."""
    try:
        return (await count_and_totals(client, auth, start, end))[0]
    except ResultSetTooLarge:
        middle = start + (end - start) / 2
        return await count_split(client, auth, start, middle) + await count_split(
            client, auth, middle, end
        )


async def test_more_than_ten_thousand_postings_must_be_split(client: TripletexClient) -> None:
    own = await login(client, "accountant")
    company_id, name, expected = next(
        (c["id"], name, y["count"])
        for c in TRUTH["companies"]
        if "accountant" in c["reached_by"]
        for name, y in c["years"].items()
        if y["count"] > 10_000
    )
    auth = Auth(own.session_token, company_id)
    with pytest.raises(ResultSetTooLarge):
        await client.first_posting_date(auth, *year(int(name)))
    with pytest.raises(ResultSetTooLarge):
        await anext(aiter(client.iter_raw_postings(auth, *year(int(name)))))
    assert await count_split(client, auth, *year(int(name))) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("integrations_off", Forbidden),
        ("not_shared", EmployeeTokenRejected),
        ("expired", EmployeeTokenRejected),
    ],
)
async def test_bad_employee_tokens(
    client: TripletexClient, label: str, expected: type[TripletexError]
) -> None:
    with pytest.raises(TripletexError) as caught:
        await login(client, label)
    assert type(caught.value) is expected
    assert caught.value.request_id
    assert TOKENS[label] not in str(caught.value)
    assert CONSUMER not in str(caught.value)


async def test_a_bad_consumer_token(client: TripletexClient) -> None:
    wrong = CONSUMER[:-8] + "AAAAAAA="
    with pytest.raises(ConsumerTokenRejected) as caught:
        await client.create_session(wrong, TOKENS["good"], EXPIRES)
    assert wrong not in str(caught.value)


async def test_a_token_without_ledger_access(client: TripletexClient) -> None:
    auth = await login(client, "no_ledger_access")
    await client.who_am_i(auth)
    with pytest.raises(Forbidden):
        await client.probe_ledger_access(auth)


async def test_dead_sessions_and_unreachable_companies_are_unauthorized(
    client: TripletexClient,
) -> None:
    auth = await login(client, "good")
    with pytest.raises(Unauthorized):
        await client.who_am_i(Auth(auth.session_token, 999_999))
    await client.delete_session(auth)
    with pytest.raises(Unauthorized) as caught:
        await client.who_am_i(auth)
    assert auth.session_token not in str(caught.value)


# --- faults ---


async def test_paging_ignores_an_inexact_full_result_size(http: aiohttp.ClientSession) -> None:
    async with SandboxServer(SCENARIO, Faults(inexact_total=True)) as server:
        client = TripletexClient(http, server.base_url)
        auth = await login(client, "good")
        name, expected = max(truth_of(SCENARIO.token("good").company_id)["years"].items())
        count = (await count_and_totals(client, auth, *year(int(name))))[0]
        assert count == expected["count"]


async def test_the_rate_limit_paces_with_the_last_reset(http: aiohttp.ClientSession) -> None:
    states: list[RateLimitState] = []
    async with SandboxServer(SCENARIO, Faults(rate_limit=3, rate_window=60)) as server:
        client = TripletexClient(http, server.base_url, on_rate_limit=lambda _, s: states.append(s))
        auth = await login(client, "good")
        await client.who_am_i(auth)
        await client.who_am_i(auth)
        with pytest.raises(RateLimited) as caught:
            await client.who_am_i(auth)
    assert 0 < caught.value.retry_after <= 61
    assert [s.remaining for s in states[:3]] == [2, 1, 0]
    assert states[0].limit == 3


@pytest.mark.parametrize(
    "faults",
    [Faults(error_share=1.0), Faults(truncate_share=1.0), Faults(reset_share=1.0)],
    ids=["server-errors", "truncated", "reset"],
)
async def test_broken_answers_are_transient(http: aiohttp.ClientSession, faults: Faults) -> None:
    async with SandboxServer(SCENARIO, faults) as server:
        client = TripletexClient(http, server.base_url)
        with pytest.raises(TransientUpstream) as caught:
            await login(client, "good")
    assert caught.value.retryable


# --- sessions are dated in Oslo time ---

#: 23:30 UTC on a winter day is already tomorrow in Oslo (UTC+1)
LATE_UTC = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)


async def set_clock(http: aiohttp.ClientSession, server: SandboxServer, at: dt.datetime) -> None:
    """Move the sandbox's clock so that it is `at` now."""
    now = at.isoformat().replace("+00:00", "Z")
    async with http.put(server.control_url + "/clock", json={"now": now}) as reply:
        assert reply.status < 300, await reply.text()


def test_oslo_today_is_tomorrow_late_in_the_utc_evening() -> None:
    assert oslo_today(LATE_UTC) == dt.date(2026, 12, 7)
    assert oslo_today(LATE_UTC - dt.timedelta(hours=1)) == dt.date(2026, 12, 6)
    summer = dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)  # UTC+2: already 1 July
    assert oslo_today(summer) == dt.date(2026, 7, 1)


def test_a_session_is_renewed_a_day_before_its_oslo_expiry() -> None:
    today = oslo_today(LATE_UTC)
    assert _still_valid(today + dt.timedelta(days=2), today)
    assert not _still_valid(today + dt.timedelta(days=1), today)
    assert not _still_valid(None, today)


async def test_a_session_asked_for_at_2330_utc_is_dated_after_oslo_today_and_ends_at_oslo_midnight(
    http: aiohttp.ClientSession,
) -> None:
    async with SandboxServer(SCENARIO, Faults(rate_limit=100_000)) as server:
        client = TripletexClient(http, server.base_url)
        await set_clock(http, server, LATE_UTC)
        utc_tomorrow = LATE_UTC.date() + dt.timedelta(days=1)  # Oslo's today: refused
        with pytest.raises(InvalidRequest):
            await client.create_session(CONSUMER, TOKENS["good"], utc_tomorrow)
        expires = oslo_today(LATE_UTC) + dt.timedelta(days=1)
        session = await client.create_session(CONSUMER, TOKENS["good"], expires)
        midnight = dt.datetime.combine(expires, dt.time(), OSLO).astimezone(dt.UTC)
        await set_clock(http, server, midnight - dt.timedelta(minutes=1))
        await client.who_am_i(session.auth())
        await set_clock(http, server, midnight + dt.timedelta(seconds=1))
        with pytest.raises(Unauthorized):
            await client.who_am_i(session.auth())
