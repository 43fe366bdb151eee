"""Troubleshooting check results: names, statuses, titles, symbols; shared by worker, CLI and TUI.

The checks themselves (the facts, the calls, the verdicts) live in `worker.checks`; this is what
anyone reading a stored run needs to show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class CheckStatus(StrEnum):
    """The outcome of one check."""

    PASS = "pass"  # noqa: S105 (a status)
    FAIL = "fail"
    #: works, but something deserves attention (slow, little rate-limit headroom, no data)
    WARN = "warn"
    #: not run: an earlier check failed, or it does not apply
    SKIP = "skip"


class CheckName(StrEnum):
    """The checks, in the order they run (the order of this enum)."""

    API_SYNC = "api_sync"
    PROVIDER = "provider"
    CONSUMER_TOKEN = "consumer_token"  # noqa: S105 (a check name)
    TRIPLETEX_ANSWERS = "tripletex_answers"
    INTEGRATIONS_ADDON = "integrations_addon"
    EMPLOYEE_TOKEN = "employee_token"  # noqa: S105 (a check name)
    TOKEN_SHARED = "token_shared"  # noqa: S105 (a check name)
    TOKEN_OWNER = "token_owner"  # noqa: S105 (a check name)
    COMPANY_REACHABLE = "company_reachable"
    LEDGER_ACCESS = "ledger_access"
    RATE_LIMIT = "rate_limit"
    LEDGER_DATA = "ledger_data"


#: the run order
ORDER: tuple[CheckName, ...] = tuple(CheckName)
#: what each check establishes, for people
TITLES: dict[CheckName, str] = {
    CheckName.API_SYNC: "Uses API synchronization",
    CheckName.PROVIDER: "Provider is Tripletex",
    CheckName.CONSUMER_TOKEN: "Consumer token configured",
    CheckName.TRIPLETEX_ANSWERS: "Tripletex answers",
    CheckName.INTEGRATIONS_ADDON: "Integrations add-on active",
    CheckName.EMPLOYEE_TOKEN: "Employee token valid",
    CheckName.TOKEN_SHARED: "Token shared with this application",
    CheckName.TOKEN_OWNER: "Token belongs to the expected user",
    CheckName.COMPANY_REACHABLE: "Selected company reachable",
    CheckName.LEDGER_ACCESS: "Access to the ledger",
    CheckName.RATE_LIMIT: "Rate-limit headroom",
    CheckName.LEDGER_DATA: "Company has ledger data",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One check's result: its status, one sentence, and the help pages to point to."""

    name: CheckName
    status: CheckStatus
    message: str
    help: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The contract's `{name, status, message, help}`."""
        return {
            "name": self.name.value,
            "status": self.status.value,
            "message": self.message,
            "help": list(self.help),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        """A result as `to_json` wrote it."""
        return cls(
            CheckName(data["name"]),
            CheckStatus(data["status"]),
            str(data["message"]),
            tuple(str(h) for h in data.get("help") or ()),
        )


def first_failure(results: Sequence[Check]) -> Check | None:
    """The first failing check, if any."""
    return next((check for check in results if check.status is CheckStatus.FAIL), None)


def all_clear(results: Sequence[Check]) -> bool:
    """Whether nothing failed (warnings and skips do not fail a run)."""
    return first_failure(results) is None


#: how each status shows in a checklist
SYMBOLS: dict[CheckStatus, str] = {
    CheckStatus.PASS: "✓",
    CheckStatus.FAIL: "✗",
    CheckStatus.WARN: "!",
    CheckStatus.SKIP: "–",
}
