"""The troubleshooting checks' pure core: token shapes, verdicts from answers, skip logic."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import orjson
import pytest

from shared.checks import ORDER, TITLES, Check, CheckName, CheckStatus, all_clear, first_failure
from worker.checks.company import choose_target
from worker.checks.facts import Facts, LedgerData, Owner, Probe, conclude
from worker.checks.runner import VERDICTS, diagnose
from worker.checks.store import Subject
from worker.checks.tokens import inspect_token, is_production
from worker.tripletex.errors import (
    ConsumerTokenRejected,
    EmployeeTokenRejected,
    Forbidden,
    NotFound,
    RateLimitState,
    TransientUpstream,
    TripletexError,
    TripletexRateLimited,
    Unauthorized,
    Unreachable,
)
from worker.tripletex.protocol import Company, WhoAmI

UUID = "0b6a4b8e-4f0e-4c1a-9f59-5d2f8a1e3c77"
TEST_URL = "https://api-test.tripletex.tech/v2"
PRODUCTION_URL = "https://tripletex.no/v2"
OWN = Company(201, "Fjordlys Kaffebar AS", "912345678")
CLIENTS = (Company(205, "Solberg AS", "1"), Company(202, "Nordvik AS", "2", 9202))


def token(secret: str = UUID, token_id: Any = 41) -> str:
    """A token string shaped like Tripletex's."""
    return base64.b64encode(orjson.dumps({"tokenId": token_id, "token": secret})).decode()


def fail(
    cls: type[TripletexError], status: int, code: int | None, detail: str | None = None
) -> Any:
    """An error as the client raises it."""
    return cls(f"{cls.__name__} ({status}).", status=status, code=code, detail=detail)


def good(**changes: Any) -> Facts:
    """Facts of a healthy organization with an ordinary token; `changes` replace some."""
    facts = Facts(
        org_id=7,
        method="api",
        provider="tripletex",
        base_url=TEST_URL,
        consumer=inspect_token(token()),
        employee=inspect_token(token()),
        create=Probe(None, None, 42.0),
        who=Probe(WhoAmI(901, 901, 201, "no")),
        own=Probe(OWN),
        clients=Probe(()),
        ledger=Probe(None),
        rate=RateLimitState(1200, 1150, 60.0, 0.0),
        data=Probe(LedgerData((2023, 2024), 2024)),
    )
    facts = replace(facts, **changes)
    return replace(facts, target=choose_target(facts))


def accountant(**changes: Any) -> Facts:
    """Facts of an accounting firm's token: its own company is forbidden, clients reachable."""
    forbidden = fail(Forbidden, 403, 9000, "Company owned users(employeeToken) can only …")
    base = {"who": Probe(WhoAmI(902, 902, 203, "no")), "own": Probe(error=forbidden)}
    return good(**(base | {"clients": Probe(CLIENTS)} | changes))


def run(facts: Facts) -> list[Check]:
    return conclude(facts, VERDICTS)


def first(facts: Facts) -> Check:
    """The first failing check; every later one must have skipped."""
    results = run(facts)
    failed = first_failure(results)
    assert failed is not None, results
    later = results[results.index(failed) + 1 :]
    assert all(r.status is CheckStatus.SKIP for r in later), later
    return failed


# --- the local token check ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        (token()[:20] + " " + token()[20:], "spaces"),
        (token() + "\n", "line breaks"),
        (token()[:-3], "not valid base64"),
        (token().replace("=", ""), "not valid base64"),
        (base64.b64encode(b"not json at all").decode(), "does not decode"),
        (base64.b64encode(b"[1, 2]").decode(), "does not decode"),
        (base64.b64encode(b'{"tokenId": 1}').decode(), "lacks the id and secret"),
        (token(token_id=True), "lacks the id and secret"),
        (token(token_id="41"), "lacks the id and secret"),
        (token(secret=UUID[:-1]), "malformed secret"),
        (token(secret="test-" + UUID + "x"), "malformed secret"),
    ],
)
def test_malformed_tokens_are_named_without_echoing_them(text: str, problem: str) -> None:
    shape = inspect_token(text)
    assert not shape.well_formed
    assert shape.problem is not None
    assert problem in shape.problem
    if text.strip():
        assert text.strip() not in shape.problem


def test_well_formed_tokens_and_their_environment() -> None:
    assert inspect_token(token()).well_formed
    assert not inspect_token(token()).test_environment
    assert inspect_token(token(secret="test-" + UUID)).test_environment
    assert inspect_token(token(secret="test-" + UUID)).well_formed


def test_production_is_recognised_by_its_host() -> None:
    assert is_production(PRODUCTION_URL)
    assert is_production("https://tripletex.no/v2/")
    assert not is_production(TEST_URL)
    assert not is_production("http://127.0.0.1:8080/v2")


# --- order, skipping, the result's shape -------------------------------------------------------


def test_the_checks_run_in_the_issue_order_with_titles() -> None:
    assert [n.value for n in ORDER] == [
        "api_sync",
        "provider",
        "consumer_token",
        "tripletex_answers",
        "integrations_addon",
        "employee_token",
        "token_shared",
        "token_owner",
        "company_reachable",
        "ledger_access",
        "rate_limit",
        "ledger_data",
    ]
    assert set(TITLES) == set(ORDER) == set(VERDICTS)


@pytest.mark.parametrize("facts", [good(), accountant()], ids=["good", "accountant"])
def test_a_healthy_token_passes_every_check(facts: Facts) -> None:
    results = run(facts)
    assert [r.status for r in results] == [CheckStatus.PASS] * len(ORDER), results
    assert all_clear(results)


def test_the_accountant_is_checked_in_a_client_with_its_id_as_username() -> None:
    facts = accountant()
    assert facts.target is not None
    assert (facts.target.company_id, facts.target.username) == (202, 202), "lowest id first"
    message = run(facts)[ORDER.index(CheckName.COMPANY_REACHABLE)].message
    assert "No company is chosen yet" in message
    assert "Basic username 202" in message


def test_a_saft_organization_skips_every_check_and_points_to_saft() -> None:
    results = run(good(method="saft", provider=None))
    assert all(r.status is CheckStatus.SKIP for r in results)
    assert "saft import" in results[0].message
    assert results[0].help
    assert all_clear(results), "nothing failed"
    assert "“Uses API synchronization” was skipped" in results[1].message


def test_results_serialize_as_the_contract_says() -> None:
    check = Check(CheckName.EMPLOYEE_TOKEN, CheckStatus.FAIL, "Sentence.", ("A", "B"))
    data = check.to_json()
    assert data == {
        "name": "employee_token",
        "status": "fail",
        "message": "Sentence.",
        "help": ["A", "B"],
    }
    assert Check.from_json(data) == check


# --- the first failing check for each answer ---------------------------------------------------


@pytest.mark.parametrize(
    ("error", "name", "words"),
    [
        (fail(Forbidden, 403, 9000), CheckName.INTEGRATIONS_ADDON, "Integrations add-on"),
        (fail(ConsumerTokenRejected, 422, 18000), CheckName.CONSUMER_TOKEN, "consumer token"),
        (
            Unreachable("Tripletex does not answer: x does not resolve."),
            CheckName.TRIPLETEX_ANSWERS,
            "does not resolve",
        ),
        (fail(TransientUpstream, 503, None), CheckName.TRIPLETEX_ANSWERS, "HTTP 503"),
        (fail(NotFound, 404, 6000), CheckName.TRIPLETEX_ANSWERS, "LEDGERSYNC_TRIPLETEX_URL"),
        (
            TripletexRateLimited("429.", retry_after=17),
            CheckName.TRIPLETEX_ANSWERS,
            "wait about 17 s",
        ),
    ],
)
def test_each_create_answer_fails_its_own_check(
    error: TripletexError, name: CheckName, words: str
) -> None:
    failed = first(good(create=Probe(error=error, elapsed_ms=30.0)))
    assert failed.name is name
    assert words in failed.message


@pytest.mark.parametrize(
    "detail",
    [
        "The employee token is invalid or does not exist",
        "The employee token is not valid for this application",
        None,
        "Something Tripletex never said before",
    ],
)
def test_a_rejected_employee_token_names_both_causes_whatever_tripletex_says(
    detail: str | None,
) -> None:
    error = fail(EmployeeTokenRejected, 422, 18000, detail)
    results = run(good(create=Probe(error=error)))
    by_name = {r.name: r for r in results}
    failed = first(good(create=Probe(error=error)))

    assert failed.name is CheckName.EMPLOYEE_TOKEN, "the decision never rests on the wording"
    assert "expired or revoked" in failed.message
    assert "another application" in failed.message
    assert failed.help == (
        "Create an employee token",
        "Find the employee token",
        "Share the employee token with a third party",
    )
    assert by_name[CheckName.INTEGRATIONS_ADDON].status is CheckStatus.SKIP
    assert by_name[CheckName.TOKEN_SHARED].status is CheckStatus.SKIP


def test_tripletex_wording_only_orders_the_two_causes() -> None:
    unshared = "The employee token is not valid for this application"
    message = first(good(create=Probe(error=fail(EmployeeTokenRejected, 422, 18000, unshared))))
    assert message.message.index("another application") < message.message.index("revoked")
    assert unshared in message.message
    message = first(good(create=Probe(error=fail(EmployeeTokenRejected, 422, 18000))))
    assert message.message.index("revoked") < message.message.index("another application")


def test_no_consumer_token_fails_before_anything_is_called() -> None:
    failed = first(good(consumer=None, create=None))
    assert failed.name is CheckName.CONSUMER_TOKEN
    assert "LEDGERSYNC_CONSUMER_TOKEN" in failed.message


def test_a_malformed_consumer_token_fails_locally() -> None:
    failed = first(good(consumer=inspect_token("abc"), create=None))
    assert failed.name is CheckName.CONSUMER_TOKEN
    assert "not valid base64" in failed.message


def test_a_mistyped_employee_token_fails_locally_whatever_tripletex_answers() -> None:
    rejected: Probe[None] = Probe(error=fail(EmployeeTokenRejected, 422, 18000))
    failed = first(good(employee=inspect_token(token()[:-5]), create=rejected))
    assert failed.name is CheckName.EMPLOYEE_TOKEN
    assert "not valid base64" in failed.message
    assert "Find the employee token" in failed.help


def test_no_stored_employee_token_fails_the_token_check() -> None:
    rejected: Probe[None] = Probe(error=fail(EmployeeTokenRejected, 422, 18000))
    failed = first(good(employee=None, create=rejected))
    assert failed.name is CheckName.EMPLOYEE_TOKEN
    assert "No employee token is stored" in failed.message


def test_test_environment_tokens_fail_against_production_only() -> None:
    test_token = inspect_token(token(secret="test-" + UUID))
    assert all_clear(run(good(consumer=test_token, employee=test_token)))
    failed = first(good(base_url=PRODUCTION_URL, consumer=test_token, create=None))
    assert failed.name is CheckName.CONSUMER_TOKEN
    assert "test-environment" in failed.message
    failed = first(good(base_url=PRODUCTION_URL, employee=test_token))
    assert failed.name is CheckName.EMPLOYEE_TOKEN
    assert "test environment" in failed.message


def test_a_slow_answer_warns_but_does_not_fail() -> None:
    results = run(good(create=Probe(None, None, 7_500.0)))
    answers = results[ORDER.index(CheckName.TRIPLETEX_ANSWERS)]
    assert answers.status is CheckStatus.WARN
    assert "7500 ms" in answers.message
    assert all_clear(results)


def test_the_token_check_skips_after_the_add_on_fails() -> None:
    results = run(good(create=Probe(error=fail(Forbidden, 403, 9000))))
    assert results[ORDER.index(CheckName.EMPLOYEE_TOKEN)].message == (
        "Skipped because “Integrations add-on active” failed."
    )


# --- who the token is, which company, the ledger -----------------------------------------------


def test_a_token_of_another_user_than_validated_fails_the_owner_check() -> None:
    failed = first(good(stored_owner=Owner(777, 201)))
    assert failed.name is CheckName.TOKEN_OWNER
    assert "#777" in failed.message
    assert "#901" in failed.message
    assert all_clear(run(good(stored_owner=Owner(901, 201))))


def test_who_am_i_refused_fails_the_owner_check() -> None:
    failed = first(good(who=Probe(error=fail(Unauthorized, 401, 3000))))
    assert failed.name is CheckName.TOKEN_OWNER
    assert "401" in failed.message


@pytest.mark.parametrize(("chosen", "username"), [(201, 0), (None, 0)])
def test_the_own_company_is_reached_with_username_0(chosen: int | None, username: int) -> None:
    facts = good(chosen_company=chosen)
    assert facts.target is not None
    assert facts.target.username == username
    assert all_clear(run(facts))


def test_a_chosen_company_the_token_does_not_reach_fails() -> None:
    failed = first(good(chosen_company=999, chosen_name="Elsewhere AS"))
    assert failed.name is CheckName.COMPANY_REACHABLE
    assert "“Elsewhere AS” (#999)" in failed.message
    assert "org select 7" in failed.message


def test_a_chosen_client_that_refuses_the_login_fails() -> None:
    facts = accountant(chosen_company=205, login=Probe(error=fail(Unauthorized, 401, 3000)))
    failed = first(facts)
    assert failed.name is CheckName.COMPANY_REACHABLE
    assert "401" in failed.message


def test_a_token_that_reaches_no_company_fails() -> None:
    failed = first(accountant(clients=Probe(())))
    assert failed.name is CheckName.COMPANY_REACHABLE
    assert "reaches no company" in failed.message


def test_no_ledger_access_fails_the_ledger_check() -> None:
    failed = first(good(ledger=Probe(error=fail(Forbidden, 403, 9000))))
    assert failed.name is CheckName.LEDGER_ACCESS
    assert "access to the ledger" in failed.message
    assert "Give a user access to the accounts" in failed.help


def test_a_429_during_a_check_fails_it_and_says_to_wait() -> None:
    failed = first(good(ledger=Probe(error=TripletexRateLimited("429.", retry_after=30))))
    assert failed.name is CheckName.LEDGER_ACCESS
    assert "wait about 30 s" in failed.message


# --- rate-limit headroom and data --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "status"),
    [
        (RateLimitState(1200, 1150, 42.0, 0.0), CheckStatus.PASS),
        (RateLimitState(1200, 120, 42.0, 0.0), CheckStatus.WARN),
        (RateLimitState(1200, 3, None, 0.0), CheckStatus.WARN),
        (None, CheckStatus.SKIP),
    ],
)
def test_rate_limit_headroom(rate: RateLimitState | None, status: CheckStatus) -> None:
    results = run(good(rate=rate))
    assert results[ORDER.index(CheckName.RATE_LIMIT)].status is status
    assert results[-1].status is CheckStatus.PASS, "a rate-limit warning blocks nothing"


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (LedgerData((2022, 2023, 2024), 2023), CheckStatus.PASS, "2022–2024"),
        (LedgerData((2024,), None), CheckStatus.WARN, "no postings"),
        (LedgerData((), None), CheckStatus.WARN, "no accounting year"),
    ],
)
def test_ledger_data(data: LedgerData, status: CheckStatus, words: str) -> None:
    result = run(good(data=Probe(data)))[-1]
    assert result.status is status
    assert words in result.message


# --- robustness --------------------------------------------------------------------------------


def test_a_subject_never_shows_its_token() -> None:
    secret = token()
    assert secret not in repr(Subject(1, "api", "tripletex", None, None, secret))


class _BrokenPool:
    def acquire(self) -> Any:
        raise ConnectionError("the database is gone")


async def test_diagnose_never_raises() -> None:
    found = await diagnose(_BrokenPool(), None, None, None, 1)  # type: ignore[arg-type]
    assert found is None
