"""Checks 8-12, the company and its ledger: what each concludes from the facts (pure)."""

from __future__ import annotations

from shared.checks import Check, CheckName
from shared.help_pages import ACCESS_RIGHTS, CLIENT_ACCESS, CREATE_TOKEN, FIND_TOKEN
from worker.checks.facts import Facts, LedgerData, Target
from worker.checks.sentences import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    call_failed,
    company_label,
    error_of,
    value_of,
)
from worker.tripletex.errors import Forbidden
from worker.tripletex.protocol import Company

#: warn when no more than this share of the rate limit is left
LOW_HEADROOM = 0.1


def token_owner(facts: Facts) -> Check:
    """8. Who-am-I: which employee and company the token acts as, the same as validated."""
    name, who = CheckName.TOKEN_OWNER, facts.who
    if who is None or who.value is None:
        return call_failed(name, "GET /token/session/>whoAmI", error_of(who))
    me, stored = who.value, facts.stored_owner
    company = company_label(me.company_id, value_of(facts.own))
    if stored is not None and (stored.employee_id, stored.company_id) != (
        me.actual_employee_id,
        me.company_id,
    ):
        return Check(
            name,
            FAIL,
            f"The token now belongs to employee #{me.actual_employee_id} of {company}, but this "
            f"organization was validated with employee #{stored.employee_id} of company "
            f"#{stored.company_id}: ask the customer which user's token is meant, then replace it "
            f"with `ledgersync org token {facts.org_id} --token-stdin`.",
            (FIND_TOKEN,),
        )
    proxy = f" on behalf of employee #{me.actual_employee_id}"
    proxy = proxy if me.actual_employee_id != me.employee_id else ""
    return Check(name, PASS, f"The token acts as employee #{me.employee_id}{proxy} in {company}.")


def reachable(facts: Facts) -> tuple[Company, ...]:
    """The companies the token reaches: its own (when it may read it) and its clients."""
    own, listed = value_of(facts.own), value_of(facts.clients)
    clients = sorted(listed or (), key=lambda c: c.id)
    return ((own,) if own else ()) + tuple(c for c in clients if own is None or c.id != own.id)


def choose_target(facts: Facts) -> Target | None:
    """The chosen company if the token reaches it, else (none chosen) the first it reaches."""
    companies = reachable(facts)
    if facts.chosen_company is not None:
        found = next((c for c in companies if c.id == facts.chosen_company), None)
    else:
        found = companies[0] if companies else None
    if found is None:
        return None
    own = value_of(facts.own)
    username = 0 if own is not None and own.id == found.id else found.id
    label = found.name or f"Company {found.id}"
    return Target(found.id, label, username, len(companies), facts.chosen_company is not None)


def company_reachable(facts: Facts) -> Check:
    """9. The selected company is the token's own or one of its clients, and logs in."""
    name, own_error = CheckName.COMPANY_REACHABLE, error_of(facts.own)
    if own_error is not None and not isinstance(own_error, Forbidden):  # 403: an accountant's
        return call_failed(name, "GET /company/{id}", own_error)
    clients_error = error_of(facts.clients)
    if clients_error is not None:
        return call_failed(name, "GET /company/>withLoginAccess", clients_error)
    companies, target = reachable(facts), facts.target
    if not companies:
        return Check(
            name,
            FAIL,
            "The token reaches no company: it may not read its own company and has no clients in "
            "/company/>withLoginAccess; ask the customer for a token created on a user with access "
            f"to the company to sync, then `ledgersync org token {facts.org_id} --token-stdin`.",
            (CREATE_TOKEN, CLIENT_ACCESS),
        )
    if target is None:
        chosen = company_label(facts.chosen_company or 0, None, facts.chosen_name)
        return Check(
            name,
            FAIL,
            f"The chosen {chosen} is not reachable with this token: it is neither the token's own "
            f"company nor one of its clients ({len(companies)} reachable); ask for a token from "
            f"that company's Tripletex, or choose another with `ledgersync org select "
            f"{facts.org_id}`.",
            (CREATE_TOKEN, CLIENT_ACCESS),
        )
    login_error = error_of(facts.login)
    if login_error is not None:
        return call_failed(name, f"GET /company/{target.company_id} as that client", login_error)
    return Check(name, PASS, _reached(target))


def _reached(target: Target) -> str:
    """The passing sentence of the company check."""
    how = (
        "the token's own company (Basic username 0)"
        if target.username == 0
        else f"a client of this accountant token (Basic username {target.company_id})"
    )
    which = f"“{target.name}” (#{target.company_id})"
    if target.chosen:
        return f"{which} is reachable: {how}."
    many = f"{target.reachable} companies" if target.reachable > 1 else "one company"
    return f"No company is chosen yet; the token reaches {many}, and the checks use {which}, {how}."


def ledger_access(facts: Facts) -> Check:
    """10. A one-posting query on the target company's ledger succeeds."""
    name, target, error = CheckName.LEDGER_ACCESS, facts.target, error_of(facts.ledger)
    label = f"“{target.name}”" if target else "the company"
    if isinstance(error, Forbidden):
        return Check(
            name,
            FAIL,
            f"Tripletex refuses this token access to the ledger of {label} (403 on "
            "/ledger/posting): the user the token was created on, or the access chosen for the "
            "token, does not include the accounts; ask the customer to create a token with access "
            f"to the ledger (for example “All accesses”), then `ledgersync org token "
            f"{facts.org_id} --token-stdin`.",
            (ACCESS_RIGHTS, CREATE_TOKEN),
        )
    if facts.ledger is None or error is not None:
        return call_failed(name, "GET /ledger/posting", error)
    return Check(name, PASS, f"The token may read the ledger of {label}: a one-posting query ran.")


def rate_limit(facts: Facts) -> Check:
    """11. Rate-limit headroom from the last X-Rate-Limit-* headers seen."""
    name, rate = CheckName.RATE_LIMIT, facts.rate
    if rate is None:
        return Check(name, SKIP, "Tripletex sent no X-Rate-Limit headers: the headroom is unknown.")
    reset = f", resetting in {rate.reset_s:.0f} s" if rate.reset_s is not None else ""
    left = f"{rate.remaining} of {rate.limit} requests are left in this period{reset}"
    if rate.remaining <= rate.limit * LOW_HEADROOM:
        return Check(
            name,
            WARN,
            f"Only {left}: imports will wait for the next period; other integrations using the "
            "same employee token share this limit.",
        )
    return Check(name, PASS, f"Enough headroom: {left}.")


def ledger_data(facts: Facts) -> Check:
    """12. The company has postings in at least one accounting year."""
    name, data = CheckName.LEDGER_DATA, value_of(facts.data)
    label = f"“{facts.target.name}”" if facts.target else "the company"
    if data is None:
        return call_failed(name, "GET /ledger/annualAccount", error_of(facts.data))
    if not data.years:
        return Check(
            name, WARN, f"Tripletex lists no accounting year for {label}: nothing to import yet."
        )
    span = _span(data)
    if data.newest_with_postings is None:
        return Check(
            name,
            WARN,
            f"Tripletex lists accounting years {span} for {label} but no postings in any of them: "
            "there is nothing to import yet; check that the customer keeps the accounts there.",
        )
    return Check(
        name,
        PASS,
        f"Tripletex lists accounting years {span} for {label}, with postings (the newest in "
        f"{data.newest_with_postings}).",
    )


def _span(data: LedgerData) -> str:
    """Accounting years as `2022–2024` or `2024`."""
    first, last = min(data.years), max(data.years)
    return str(first) if first == last else f"{first}–{last}"
