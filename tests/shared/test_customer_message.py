"""The message to the customer, from results the real verdicts give: each fix with its step and
pages in both languages, nothing for the customer when the fault is ours, and never a secret."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import orjson
import pytest

from shared import help_pages
from shared.checks import Check, CheckName, CheckStatus, first_failure
from shared.customer_message import compose, fix_for, fixes, why_no_message
from shared.customer_words import URLS, WORDS, Fix, Lang
from shared.help_pages import ACCOUNTANT_KEY, DEV_AUTH, HELP_USER_KEY, with_urls
from shared.help_pages import URLS as PAGE_URLS
from worker.checks.company import choose_target
from worker.checks.facts import Facts, LedgerData, Owner, Probe, conclude
from worker.checks.runner import VERDICTS
from worker.checks.tokens import inspect_token
from worker.tripletex.errors import (
    ConsumerTokenRejected,
    EmployeeTokenRejected,
    Forbidden,
    RateLimitState,
    TransientUpstream,
    TripletexError,
    TripletexRateLimited,
    Unauthorized,
)
from worker.tripletex.protocol import Company, WhoAmI

SECRET = "0b6a4b8e-4f0e-4c1a-9f59-5d2f8a1e3c77"
TOKEN = base64.b64encode(orjson.dumps({"tokenId": 41, "token": SECRET})).decode()
ORG = "Fjordlys Kaffebar AS"
APP = "LedgerSync Onboarding"


def error(cls: type[TripletexError], status: int, code: int | None) -> Any:
    return cls(f"{cls.__name__} ({status}).", status=status, code=code, detail=f"… {TOKEN} …")


def results(**changes: Any) -> list[Check]:
    """The real verdicts over a healthy ordinary token's facts, with `changes`."""
    facts = Facts(
        org_id=7,
        method="api",
        provider="tripletex",
        base_url="https://api-test.tripletex.tech/v2",
        consumer=inspect_token(TOKEN),
        employee=inspect_token(TOKEN),
        create=Probe(None, None, 42.0),
        who=Probe(WhoAmI(901, 901, 201, "no")),
        own=Probe(Company(201, "Fjordlys Kaffebar AS", "912345678")),
        clients=Probe(()),
        ledger=Probe(None),
        rate=RateLimitState(1200, 1150, 60.0, 0.0),
        data=Probe(LedgerData((2023, 2024), 2024)),
    )
    facts = replace(facts, **changes)
    return conclude(replace(facts, target=choose_target(facts)), VERDICTS)


FORBIDDEN = error(Forbidden, 403, 9000)
#: facts where the customer must act -> the fix and a words the step must hold in nb / en
CUSTOMER: dict[str, tuple[dict[str, Any], Fix, str, str]] = {
    "add-on off": (
        {"create": Probe(error=FORBIDDEN)},
        Fix.ADDON,
        "Selskap → Mitt abonnement",
        "Company → My subscription",
    ),
    "token rejected": (
        {"create": Probe(error=error(EmployeeTokenRejected, 422, 18000))},
        Fix.NEW_TOKEN,
        "«Ny nøkkel»",
        "“New token” (Ny nøkkel)",
    ),
    "token mistyped": (
        {"employee": inspect_token(TOKEN[:-5])},
        Fix.NEW_TOKEN,
        "bare én gang",
        "only once",
    ),
    "no token stored": ({"employee": None}, Fix.NEW_TOKEN, "«API-tilgang»", "“API access”"),
    "another user": (
        {"stored_owner": Owner(777, 201)},
        Fix.WHICH_USER,
        "hvilken brukers nøkkel",
        "which user's key",
    ),
    "who-am-i refused": (
        {"who": Probe(error=FORBIDDEN)},
        Fix.ALL_ACCESS,
        "alle tilganger",
        "“All accesses”",
    ),
    "no company reached": (
        {"own": Probe(error=FORBIDDEN)},
        Fix.COMPANY,
        "«Regnskapskontorets brukernøkkel»",
        "user administrator in client",
    ),
    "chosen company unreachable": (
        {"chosen_company": 999},
        Fix.COMPANY,
        "i det selskapets Tripletex",
        "in that company's Tripletex",
    ),
    "no ledger access": (
        {"ledger": Probe(error=FORBIDDEN)},
        Fix.LEDGER_RIGHTS,
        "tilgang til regnskapet",
        "access to the accounts",
    ),
    "no postings": (
        {"data": Probe(LedgerData((2024,), None))},
        Fix.CONFIRM_COMPANY,
        "ingen posteringer",
        "no postings",
    ),
}
#: facts where the fault is ours or Tripletex's: no message
OURS: dict[str, dict[str, Any]] = {
    "no consumer token": {"consumer": None, "create": None},
    "consumer token rejected": {"create": Probe(error=error(ConsumerTokenRejected, 422, 18000))},
    "Tripletex down": {"create": Probe(error=error(TransientUpstream, 503, None))},
    "rate limited": {"ledger": Probe(error=TripletexRateLimited("429.", retry_after=30))},
    "session refused": {"who": Probe(error=error(Unauthorized, 401, 3000))},
    "a SAF-T organization": {"method": "saft"},
    "unsupported provider": {"provider": "fiken"},
    "little headroom": {"rate": RateLimitState(1200, 10, 60.0, 0.0)},
    "slow Tripletex": {"create": Probe(None, None, 7_500.0)},
}


@pytest.mark.parametrize("lang", list(Lang))
@pytest.mark.parametrize("case", list(CUSTOMER))
def test_each_customer_fault_gets_its_step_and_pages(case: str, lang: Lang) -> None:
    changes, fix, nb_words, en_words = CUSTOMER[case]
    found = results(**changes)

    message = compose(ORG, APP, found, lang)

    assert fixes(found) == [fix]
    assert message is not None
    assert message.lang is lang
    assert ORG in message.subject
    text = message.text
    assert text.startswith(f"{WORDS[lang].subject_label}: {message.subject}\n\n")
    assert WORDS[lang].greeting in text
    assert WORDS[lang].regards in text
    assert "1. " + WORDS[lang].steps[fix].format(org=ORG) in text
    assert "2. " not in text, "one step for one thing to fix"
    assert (nb_words if lang is Lang.NB else en_words) in text
    for url in URLS[fix]:
        assert f"   {WORDS[lang].help_label}: {url}\n" in text


def test_the_pages_each_fix_points_to() -> None:
    assert URLS[Fix.ADDON] == (HELP_USER_KEY,)
    assert URLS[Fix.NEW_TOKEN] == (HELP_USER_KEY, DEV_AUTH)
    assert URLS[Fix.COMPANY] == (HELP_USER_KEY, ACCOUNTANT_KEY)
    assert HELP_USER_KEY == "https://hjelp.tripletex.no/hc/no/articles/4409557117713"


@pytest.mark.parametrize("case", list(OURS))
def test_nothing_for_the_customer_when_the_fault_is_ours(case: str) -> None:
    found = results(**OURS[case])

    assert [fix_for(check) for check in found] == [None] * len(found)
    assert compose(ORG, APP, found, Lang.NB) is None
    assert compose(ORG, APP, found, Lang.EN) is None
    reason = why_no_message(found)
    assert reason.startswith("There is nothing for the customer to fix")
    failed = first_failure(found)
    if failed is not None and failed.name is not CheckName.API_SYNC:
        assert "on our side or in Tripletex" in reason


def test_nothing_to_fix_when_every_check_passes() -> None:
    found = results()
    assert compose(ORG, APP, found) is None
    assert "no check asks anything" in why_no_message(found)


@pytest.mark.parametrize("lang", list(Lang))
def test_the_application_name_is_quoted_exactly_or_described(lang: Lang) -> None:
    found = results(employee=None)
    named = compose(ORG, APP, found, lang)
    unnamed = compose(ORG, None, found, lang)
    assert named is not None
    assert unnamed is not None
    assert WORDS[lang].quote.format(APP) in named.text
    assert WORDS[lang].our_application_name in unnamed.text
    assert APP not in unnamed.text


def test_norwegian_is_the_default() -> None:
    message = compose(ORG, APP, results(employee=None))
    assert message is not None
    assert message.lang is Lang.NB
    assert message.text.startswith("Emne: ")


@pytest.mark.parametrize("lang", list(Lang))
@pytest.mark.parametrize("case", list(CUSTOMER))
def test_no_token_or_secret_ever_in_the_message(case: str, lang: Lang) -> None:
    changes = CUSTOMER[case][0] | {"consumer": inspect_token(TOKEN)}
    found = results(**changes)
    message = compose(ORG, APP, found, lang)
    assert message is not None
    for secret in (TOKEN, SECRET, TOKEN[:12], SECRET[:8]):
        assert secret not in message.text
    for check in found:  # no check's sentence is copied into the message
        if check.status is not CheckStatus.PASS and len(check.message) > 40:
            assert check.message not in message.text


def test_several_fixes_are_numbered_in_check_order_each_once() -> None:
    found = [
        Check(CheckName.INTEGRATIONS_ADDON, CheckStatus.FAIL, "x", ()),
        Check(CheckName.EMPLOYEE_TOKEN, CheckStatus.FAIL, "y", ()),
        Check(CheckName.EMPLOYEE_TOKEN, CheckStatus.FAIL, "z", ()),
        Check(CheckName.LEDGER_DATA, CheckStatus.WARN, "w", ()),
    ]
    message = compose(ORG, APP, found, Lang.EN)
    assert message is not None
    starts = [line[:3] for line in message.body.splitlines() if line[:1].isdigit()]
    assert starts == ["1. ", "2. ", "3. "]
    assert fixes(found) == [Fix.ADDON, Fix.NEW_TOKEN, Fix.CONFIRM_COMPANY]


def test_every_help_page_the_checks_name_has_an_address_but_the_saft_one() -> None:
    titles = {
        value
        for name, value in vars(help_pages).items()
        if name.isupper() and isinstance(value, str) and not value.startswith("https://")
    }
    assert titles - set(PAGE_URLS) == {help_pages.SAFT_EXPORT}
    assert set(PAGE_URLS) <= titles
    assert with_urls(("Enable the Integrations add-on", "Export a SAF-T file from Tripletex")) == [
        f"Enable the Integrations add-on <{HELP_USER_KEY}>",
        "Export a SAF-T file from Tripletex",
    ]
