"""Organizations: register, find, choose a company, replace a token, show progress, remove.

Shared by the command line and the terminal UI; async functions taking a connection. Sending
work to the workers is the caller's business (see `shared.queue`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared import audit
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import FIRST_YEAR, Method, OrgState, Provider
from shared.saft import submit as saft_submit

#: what stands for the fingerprint of a token stored before tokens had one
NOT_FINGERPRINTED = "fp:pending (a worker starting fingerprints it)"


def shown_fingerprint(fingerprint: str | None) -> str:
    """A stored token's fingerprint as shown (`shared.crypto.TokenCipher.fingerprint`)."""
    return fingerprint or NOT_FINGERPRINTED


async def fingerprint_stored(conn: asyncpg.Connection, cipher: TokenCipher) -> int:
    """Fingerprint the tokens stored without one (before fingerprints were); how many."""
    done = 0
    for row in await conn.fetch(Q["credentials_unfingerprinted"]):
        fingerprint = cipher.fingerprint(cipher.decrypt(row["employee_token"]))
        status = await conn.execute(
            Q["credentials_set_fingerprint"], row["org_id"], row["employee_token"], fingerprint
        )
        done += status == "UPDATE 1"
    return done


#: the longest employee token accepted (Tripletex's are far shorter)
MAX_TOKEN_BYTES = 4096


def clean_token(raw: str) -> str:
    """The token as pasted, without surrounding blanks; BadInput unless printable ASCII, ≤ 4 KB."""
    token = raw.strip()
    if not token or any(ch.isspace() for ch in token):
        raise BadInput("The employee token is empty or has spaces in it; paste it again, alone.")
    if len(token) > MAX_TOKEN_BYTES:
        raise BadInput(
            f"The employee token is {len(token)} characters long, more than the "
            f"{MAX_TOKEN_BYTES} allowed; paste the token alone."
        )
    if not all("!" <= ch <= "~" for ch in token):
        raise BadInput(
            "The employee token holds characters other than printable ASCII; paste it again, alone."
        )
    return token


def decode_token(raw: bytes) -> str:
    """Token bytes (as read from standard input) as text; BadInput when not UTF-8."""
    if len(raw) > 2 * MAX_TOKEN_BYTES:
        raise BadInput(
            f"The token on standard input is longer than the {MAX_TOKEN_BYTES} bytes allowed; "
            "pipe in the token alone."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(
            "The token on standard input is not UTF-8 text; pipe in the token alone."
        ) from None
    return clean_token(text)


async def verify_key(conn: asyncpg.Connection, cipher: TokenCipher) -> None:
    """Refuse a secret key other than the one earlier tokens were stored with."""
    stored = await conn.fetchval(Q["key_check_get"])
    if stored is None:
        await conn.execute(Q["key_check_insert"], cipher.key_check())
    else:
        cipher.verify(stored)


async def check_key(conn: asyncpg.Connection, cipher: TokenCipher) -> None:
    """WrongSecretKey if tokens were stored under another key (reads only: for the workers)."""
    stored = await conn.fetchval(Q["key_check_get"])
    if stored is not None:
        cipher.verify(stored)


async def register(
    conn: asyncpg.Connection,
    *,
    name: str,
    method: Method,
    provider: Provider | None,
    token: str | None,
    cipher: TokenCipher | None,
) -> int:
    """Register an organization (with its encrypted token for API); return its id."""
    name = name.strip()
    if not name:
        raise BadInput("The organization needs a name.")
    problem = name_problem(name)
    if problem is not None:
        raise BadInput(f"The organization's name {problem}; choose a plain one.")
    if method is Method.API and (token is None or cipher is None or provider is None):
        raise BadInput(
            "An API organization needs a provider and an employee token (--token-stdin)."
        )
    if await conn.fetchrow(Q["org_by_name"], name):
        raise BadInput(f"An organization named {name!r} exists already; choose another name.")
    state = OrgState.VALIDATING if method is Method.API else OrgState.AWAITING_FILE
    detail: dict[str, Any] = {"name": name, "method": method.value}
    async with conn.transaction():
        org_id = int(await conn.fetchval(Q["org_insert"], name, method, provider, state))
        if token is not None and cipher is not None:
            await verify_key(conn, cipher)
            fingerprint = cipher.fingerprint(token)
            await conn.execute(Q["credentials_insert"], org_id, cipher.encrypt(token), fingerprint)
            detail["fingerprint"] = fingerprint
        await audit.record(conn, "org.register", org_id, detail)
    return org_id


#: the longest name an organization may have
MAX_NAME_CHARS = 200

#: characters that reorder text on screen (bidirectional overrides, embeddings, isolates, marks)
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def name_problem(text: str) -> str | None:
    """Why `text` cannot be an organization's name (None when it can)."""
    if len(text) > MAX_NAME_CHARS:
        return f"is {len(text)} characters long; at most {MAX_NAME_CHARS} are allowed"
    for ch in text:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Cf", "Co", "Cn"):
            return f"holds the invisible or control character U+{ord(ch):04X}"
    return None


#: the largest id Postgres' bigint holds
MAX_ID = 2**63 - 1


def parse_id(text: str, what: str = "An organization id") -> int:
    """An id written in ASCII digits within 64 bits; BadInput with a sentence otherwise."""
    if not (text.isascii() and text.isdigit()):
        raise BadInput(f"{what} is written in the digits 0-9; {_shown(text)} is not.")
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise BadInput(f"{what} lies between 1 and {MAX_ID}; {_shown(text)} does not.")
    return value


async def find(conn: asyncpg.Connection, ref: str) -> asyncpg.Record:
    """An organization by exact name or id (`#N` always the id); BadInput when there is none, or
    when the name is also another organization's id."""
    ref = ref.strip()
    if name_problem(ref) is not None:
        raise BadInput(f"No organization {_shown(ref)}; `ledgersync org list` shows them.")
    if ref.startswith("#"):
        row = await conn.fetchrow(Q["org_by_id"], parse_id(ref[1:]))
        if row is None:
            raise BadInput(f"No organization has id {ref}; `ledgersync org list` shows them.")
        return row
    by_name = await conn.fetchrow(Q["org_by_name"], ref) if ref else None
    by_id = None
    if ref.isascii() and ref.isdigit() and 0 < int(ref) <= MAX_ID:
        by_id = await conn.fetchrow(Q["org_by_id"], int(ref))
    if by_name is not None and by_id is not None and by_name["id"] != by_id["id"]:
        raise BadInput(
            f"{ref!r} is ambiguous: the name of {by_name['name']!r} (#{by_name['id']}) and the id "
            f"of {by_id['name']!r} (#{by_id['id']}); write #{by_id['id']} for the id."
        )
    row = by_name or by_id
    if row is None:
        raise BadInput(f"No organization {_shown(ref)}; `ledgersync org list` shows them.")
    return row


def _shown(text: str, limit: int = 60) -> str:
    """`text` quoted for a sentence, cut short when long."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


class CompanyChangeRefused(BadInput):
    """Choosing the company would drop another company's data, or duplicate another organization."""


@dataclass(frozen=True, slots=True)
class CompanyChoice:
    """What choosing a company does beyond starting its sync: whose data goes, whom it doubles."""

    org: str  #: "Acme (#12)"
    chosen: str  #: "Beta AS (202)"
    replaced: str | None  #: the company whose data would be removed, if any
    postings: int  #: the replaced company's postings
    duplicates: tuple[str, ...]  #: other organizations that synchronize the chosen company
    duplicate_ids: tuple[int, ...] = ()

    @property
    def needs_confirming(self) -> bool:
        """Whether the operator must confirm (the data removed, or the duplicate)."""
        return self.replaced is not None or bool(self.duplicates)


async def company_choice(conn: asyncpg.Connection, org_id: int, company_id: int) -> CompanyChoice:
    """What choosing `company_id` would do, for a confirmation that names both companies."""
    company = await _reachable(conn, org_id, company_id)
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    if org is None:
        raise BadInput(f"No organization #{org_id}; `ledgersync org list` shows them.")
    return await _choice(conn, org, company)


async def _reachable(conn: asyncpg.Connection, org_id: int, company_id: int) -> asyncpg.Record:
    company = await conn.fetchrow(Q["company_by_org"], org_id, company_id)
    if company is None:
        raise BadInput(
            f"Company {company_id} is not reachable with this organization's token; "
            "`ledgersync org companies` lists the ones it reaches."
        )
    return company


async def _choice(
    conn: asyncpg.Connection, org: asyncpg.Record, company: asyncpg.Record
) -> CompanyChoice:
    changing = org["company_id"] is not None and org["company_id"] != company["company_id"]
    held = changing and await conn.fetchval(Q["org_company_data"], org["id"])
    others = await conn.fetch(Q["org_same_company"], org["id"], company["company_id"])
    return CompanyChoice(
        org=f"{org['name']} (#{org['id']})",
        chosen=f"{company['name']} ({company['company_id']})",
        replaced=f"{org['company_name']} ({org['company_id']})" if held else None,
        postings=await conn.fetchval(Q["org_posting_count"], org["id"]) if held else 0,
        duplicates=tuple(f"{o['name']} (#{o['id']})" for o in others),
        duplicate_ids=tuple(o["id"] for o in others),
    )


async def select_company(
    conn: asyncpg.Connection,
    org_id: int,
    company_id: int,
    *,
    replace: bool = False,
    allow_duplicate: bool = False,
) -> dict[str, int]:
    """Choose the company to synchronize; it must be one the token reaches.

    Another company's data (postings, years, chunks, check runs) is removed in the same
    transaction that records the new company, and only with `replace`; a company another
    organization already synchronizes needs `allow_duplicate`. Returns what was removed.
    """
    company = await _reachable(conn, org_id, company_id)
    for attempt in range(3):
        try:
            async with conn.transaction():
                return await _choose(conn, org_id, company, replace, allow_duplicate)
        except asyncpg.DeadlockDetectedError:
            if attempt == 2:
                raise BadInput(
                    "The organization is busy being planned; choose the company again."
                ) from None
    raise AssertionError("unreachable")


async def _choose(
    conn: asyncpg.Connection,
    org_id: int,
    company: asyncpg.Record,
    replace: bool,
    allow_duplicate: bool,
) -> dict[str, int]:
    """The company change inside its transaction, the organization locked first."""
    org = await conn.fetchrow(Q["org_lock_for_change"], org_id)
    if org is None:
        raise BadInput(f"No organization #{org_id}; `ledgersync org list` shows them.")
    choice = await _choice(conn, org, company)
    if choice.replaced and not replace:
        raise CompanyChangeRefused(
            f"{org['name']} (#{org_id}) holds data of {choice.replaced}; choosing "
            f"{choice.chosen} removes it: add --replace to confirm."
        )
    if choice.duplicates and not allow_duplicate:
        raise CompanyChangeRefused(
            f"{choice.chosen} is already synchronized by {', '.join(choice.duplicates)}; add "
            "--allow-duplicate to synchronize it twice."
        )
    changing = org["company_id"] is not None and org["company_id"] != company["company_id"]
    removed: dict[str, int] = {}
    if changing:
        removed = dict(await conn.fetchrow(Q["org_forget_company"], org_id))
    await conn.execute(
        Q["org_select_company"], org_id, company["company_id"], company["name"],
        company["organization_number"],
    )  # fmt: skip
    await conn.execute(Q["org_set_state"], org_id, OrgState.SYNCING, None)
    detail: dict[str, Any] = {"company_id": company["company_id"], "company_name": company["name"]}
    if changing:
        detail |= {
            "previous_company_id": org["company_id"],
            "previous_company_name": org["company_name"],
            "removed": removed,
        }
    if choice.duplicates:
        detail["duplicate_of"] = list(choice.duplicate_ids)
    await audit.record(conn, "org.select_company", org_id, detail)
    return removed


async def replace_token(
    conn: asyncpg.Connection, org_id: int, token: str, cipher: TokenCipher
) -> None:
    """Replace the employee token; validation starts again."""
    fingerprint = cipher.fingerprint(token)
    async with conn.transaction():
        await verify_key(conn, cipher)
        previous = await conn.fetchval(Q["org_by_id"], org_id, column="token_fingerprint")
        await conn.execute(
            Q["credentials_replace_token"], org_id, cipher.encrypt(token), fingerprint
        )
        await conn.execute(Q["org_set_state"], org_id, OrgState.VALIDATING, None)
        await audit.record(
            conn, "org.replace_token", org_id,
            {"fingerprint": fingerprint, "previous_fingerprint": previous},
        )  # fmt: skip


async def request_sync(conn: asyncpg.Connection, org_id: int, year: int | None) -> None:
    """Record a request to synchronize again (every year, or one); the caller sends `plan_sync`."""
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    if org is None:
        raise BadInput(f"No organization {org_id}; `ledgersync org list` shows them.")
    if org["method"] == Method.SAFT:
        raise BadInput(
            f"{org['name']} is updated by importing a new SAF-T file: "
            "`ledgersync saft import ORG FILE` (or i on its screen in the terminal UI)."
        )
    if org["company_id"] is None:
        raise BadInput(
            f"Organization {org['name']!r} has no company chosen yet; choose one first "
            "(`ledgersync org select`, or the terminal UI)."
        )
    if year is not None:
        await check_year(conn, org_id, year)
    async with conn.transaction():
        await conn.execute(Q["org_request_plan"], org_id)
        await audit.record(conn, "org.sync", org_id, {"year": year})


async def check_year(conn: asyncpg.Connection, org_id: int, year: int) -> None:
    """BadInput unless `year` lies within the company's accounting years (1970..next year where
    they are unknown yet)."""
    this_year = dt.date.today().year
    bounds = await conn.fetchrow(Q["sync_years_bounds"], org_id)
    if bounds is not None and bounds["first"] is not None:
        first, last = int(bounds["first"]), max(int(bounds["last"]), this_year)
        where = "the company's accounting years"
    else:
        first, last = FIRST_YEAR, this_year + 1
        where = "the years a company can have"
    if not first <= year <= last:
        shown = str(year) if abs(year) < 10**12 else f"{str(year)[:12]}…"
        raise BadInput(f"Year {shown} is outside {where}, {first} to {last}; choose one of them.")


async def remove(conn: asyncpg.Connection, org_id: int) -> None:
    """Remove an organization and all its data (its stored SAF-T files too)."""
    saft_folders = await saft_submit.stored_folders(conn, org_id)
    async with conn.transaction():
        await audit.record(conn, "org.remove", None, {"removed_org_id": org_id})
        await conn.execute(Q["org_delete"], org_id)
    saft_submit.remove_folders(saft_folders)


def summary(org: asyncpg.Record) -> dict[str, Any]:
    """The contract's fields of an organization, without per-year progress."""
    company = None
    # a SAF-T organization's company comes from its file: a name and number, no Tripletex id
    if org["company_id"] is not None or org["company_org_number"] is not None:
        company = {
            "id": org["company_id"],
            "name": org["company_name"],
            "organizationNumber": org["company_org_number"],
        }
    return {
        "id": org["id"],
        "name": org["name"],
        "method": org["method"],
        "provider": org["provider"],
        "state": org["state"],
        "state_reason": org["state_reason"],
        "company": company,
        "last_error": org["last_error"],
        "last_error_at": org["last_error_at"],
        "token_fingerprint": (
            None if org["method"] != Method.API else shown_fingerprint(org["token_fingerprint"])
        ),
    }


async def details(conn: asyncpg.Connection, org: asyncpg.Record) -> dict[str, Any]:
    """`org show --json`: the summary with per-year progress."""
    years = [
        {
            "year": row["year"],
            "state": row["state"],
            "expected": row["expected"],
            "imported": row["imported"],
            # of those, postings a re-sync holds from the last import and has not redone yet
            "kept": row["kept"],
            "chunks_total": row["chunks_total"],
            "chunks_done": row["chunks_done"],
            "chunks_failed": row["chunks_failed"],
            "difference": row["difference"],
            # what is knowable without totals: dates done, and up to which day
            "days_done": row["days_done"],
            "days_total": row["days_total"],
            "covered_through": _day_before(row["open_from"]),
            "in_annual_accounts": row["listed"],
            "proven": row["proven"],
            "proof_note": row["proof_note"],
        }
        for row in await conn.fetch(Q["years_progress"], org["id"])
    ]
    # the registers postings point to, as the last sync refreshed them (refused ones first)
    registers = [
        {"register": r["register"], "refreshed_at": r["refreshed_at"], "listed": r["listed"],
         "refused": r["refused"]}
        for r in await conn.fetch(Q["register_refreshes_of_org"], org["id"])
    ]  # fmt: skip
    return summary(org) | {"years": years, "registers": registers}


async def companies(conn: asyncpg.Connection, org_id: int) -> list[dict[str, Any]]:
    """`org companies --json`: the companies the token reaches."""
    return [
        {
            "id": row["company_id"],
            "name": row["name"],
            "organizationNumber": row["organization_number"],
            "customerCompanyId": row["customer_company_id"],
            "own": row["is_own"],
        }
        for row in await conn.fetch(Q["companies_by_org"], org_id)
    ]


def _day_before(day: dt.date | None) -> str | None:
    """The day before, as ISO text (None stays None)."""
    return None if day is None else (day - dt.timedelta(days=1)).isoformat()
