"""Organizations: the one command layer for an organization's life.

Register, choose the company, replace the token, synchronize again, cancel, resume, remove:
each command writes its rows and its audit line in one transaction and, given a broker, sends
its follow-up message once committed (staged in `shared.outbox`). The workers' steps move an
organization's state through `state`, the scheduler claims it through `claims`; nothing outside
this package writes the `organizations` table. Async functions taking a connection, shared by
the command line, the terminal UI, the demo and the workers.

Modules: `naming` (names and ids as typed), `lookup` (find and read), `tokens`, `register`,
`company`, `sync`, `lifecycle` (cancel, resume, remove), `state`, `claims`, `followups`.
"""

from __future__ import annotations

from shared.orgs.company import (
    CompanyChangeRefused,
    CompanyChoice,
    company_choice,
    select_company,
)
from shared.orgs.lifecycle import Cancelled, cancel, remove, resume
from shared.orgs.lookup import companies, details, find, summary
from shared.orgs.naming import BIDI_CONTROLS, MAX_ID, MAX_NAME_CHARS, name_problem, parse_id
from shared.orgs.register import register
from shared.orgs.state import settle_org
from shared.orgs.sync import check_year, request_sync
from shared.orgs.tokens import (
    MAX_TOKEN_BYTES,
    NOT_FINGERPRINTED,
    check_key,
    clean_token,
    decode_token,
    fingerprint_stored,
    replace_token,
    shown_fingerprint,
    verify_key,
)

__all__ = [
    "BIDI_CONTROLS",
    "MAX_ID",
    "MAX_NAME_CHARS",
    "MAX_TOKEN_BYTES",
    "NOT_FINGERPRINTED",
    "Cancelled",
    "CompanyChangeRefused",
    "CompanyChoice",
    "cancel",
    "check_key",
    "check_year",
    "clean_token",
    "companies",
    "company_choice",
    "decode_token",
    "details",
    "find",
    "fingerprint_stored",
    "name_problem",
    "parse_id",
    "register",
    "remove",
    "replace_token",
    "request_sync",
    "resume",
    "select_company",
    "settle_org",
    "shown_fingerprint",
    "summary",
    "verify_key",
]
