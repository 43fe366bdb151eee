"""The message to the customer: what to change in Tripletex, and where, to mend the failing checks.

Pure: from the organization's name, the application name customers type and a run's results, a
ready-to-send message in Norwegian (bokmål) or English (a paragraph a line: mail programs and
screens wrap them), or None when nothing is the customer's to fix (a missing consumer token or
Tripletex not answering are ours: `why_no_message` says so for the operator). Which fix a check
asks for is read from its name, status and help pages, never from its sentence; the words are in
`shared.customer_words`, and hold only what `../shared/tripletex-api.md` §10 states. No check
sentence goes into the message, so neither does anything a token holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.checks import TITLES, Check, CheckName, CheckStatus, first_failure
from shared.customer_words import URLS, WORDS, Fix, Lang
from shared.help_pages import ACCESS_RIGHTS, CLIENT_ACCESS, CREATE_TOKEN, FIND_TOKEN

#: the language a message is in unless asked otherwise: the customers' Tripletex is Norwegian
DEFAULT_LANG = Lang.NB


#: a failed check, the help page that marks the customer's cause (None: any), and the fix; a
#: failure of a call (401, 5xx, 429) names no page, and is ours; a refused call (403) names only
#: "Create an employee token", and asks for a token with every access
_FAILURES: tuple[tuple[CheckName, str | None, Fix], ...] = (
    (CheckName.INTEGRATIONS_ADDON, None, Fix.ADDON),
    (CheckName.EMPLOYEE_TOKEN, None, Fix.NEW_TOKEN),
    (CheckName.TOKEN_OWNER, FIND_TOKEN, Fix.WHICH_USER),
    (CheckName.COMPANY_REACHABLE, CLIENT_ACCESS, Fix.COMPANY),
    (CheckName.LEDGER_ACCESS, ACCESS_RIGHTS, Fix.LEDGER_RIGHTS),
)


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """A message ready to send: its subject line and body, in one language."""

    lang: Lang
    subject: str
    body: str

    @property
    def text(self) -> str:
        """Subject line, a blank line, the body: what is printed and copied."""
        return f"{WORDS[self.lang].subject_label}: {self.subject}\n\n{self.body}"


def fix_for(check: Check) -> Fix | None:
    """What the customer must do about one result; None when it is not the customer's to fix."""
    if check.status is CheckStatus.WARN:
        return Fix.CONFIRM_COMPANY if check.name is CheckName.LEDGER_DATA else None
    if check.status is not CheckStatus.FAIL:
        return None
    for name, page, fix in _FAILURES:
        if check.name is name and (page is None or page in check.help):
            return fix
    return Fix.ALL_ACCESS if check.help == (CREATE_TOKEN,) else None


def fixes(results: Sequence[Check]) -> list[Fix]:
    """The customer's fixes for a run, in check order, each once."""
    found = (fix_for(check) for check in results)
    return list(dict.fromkeys(fix for fix in found if fix is not None))


def compose(
    org_name: str,
    application_name: str | None,
    results: Sequence[Check],
    lang: Lang = DEFAULT_LANG,
) -> CustomerMessage | None:
    """The message for the customer, or None when nothing in the run is the customer's to fix."""
    todo = fixes(results)
    if not todo:
        return None
    words = WORDS[lang]
    app = words.quote.format(application_name) if application_name else words.our_application_name
    body = [words.greeting, "", words.lead.format(org=org_name), ""]
    for number, fix in enumerate(todo, start=1):
        step = words.steps[fix].format(org=org_name)
        if fix in words.with_recipe:
            step = f"{step} {words.recipe.format(app=app)}"
        if fix is Fix.COMPANY:
            step = f"{step} {words.accountant}"
        body.append(f"{number}. {step}")
        body += [f"   {words.help_label}: {url}" for url in URLS[fix]]
        body.append("")
    body += [words.closing, "", words.regards]
    return CustomerMessage(lang, words.subject.format(org=org_name), "\n".join(body) + "\n")


def why_no_message(results: Sequence[Check]) -> str:
    """For the operator, when `compose` gives None: one sentence saying why."""
    failed = first_failure(results)
    if failed is not None:
        return (
            f"There is nothing for the customer to fix: “{TITLES[failed.name]}” failed for a "
            "reason on our side or in Tripletex itself; its sentence in the checks says what to do."
        )
    if results and results[0].status is CheckStatus.SKIP:  # a SAF-T organization
        return "There is nothing for the customer to fix in Tripletex: the checks do not apply."
    return "There is nothing for the customer to fix: no check asks anything of the customer."
