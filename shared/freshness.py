"""How an organization is kept fresh, in words: webhooks, polling or paused; the last change
received; how old the confirmation that the data is current is (`org show`, the cockpit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg

from shared.db.queries import Q
from shared.models import Method, OrgState

#: the voucher events every organization with webhooks subscribes to (`voucher.update` is also
#: sent when a voucher's postings change); the worker's subscriptions and the screens use these
VOUCHER_EVENTS = ("voucher.create", "voucher.update", "voucher.delete")


class FreshMode(StrEnum):
    """How an organization's data is kept current."""

    #: Tripletex sends each change; checksum polls are the safety net
    WEBHOOKS = "webhooks"
    #: checksum polls alone (no public URL, or a subscription not active)
    POLLING = "polling"
    #: nothing keeps it current: not synced yet, stopped, needing attention, or a SAF-T file
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Hook:
    """One webhook subscription as we hold it."""

    event: str
    status: str
    source_status: str | None


def mode_of(state: str, method: str, hooks: list[Hook], public_url: bool) -> FreshMode:
    """The mode: paused unless synced by API; webhooks only when every voucher event is active."""
    if method != Method.API or state != OrgState.SYNCED:
        return FreshMode.PAUSED
    active = {h.event for h in hooks if h.status == "active"}
    if public_url and active >= set(VOUCHER_EVENTS):
        return FreshMode.WEBHOOKS
    return FreshMode.POLLING


def short_mode(state: str, method: str, hooks_active: int, public_url: bool) -> str | None:
    """The mode in a word for a table cell: "hooks", "polls", or None where nothing keeps it."""
    if method != Method.API or state != OrgState.SYNCED:
        return None
    return "hooks" if public_url and hooks_active >= len(VOUCHER_EVENTS) else "polls"


def mode_sentence(mode: FreshMode, state: str, hooks: list[Hook], public_url: bool) -> str:
    """The mode in one sentence, with the reason where it is not webhooks."""
    if mode is FreshMode.WEBHOOKS:
        return "webhooks: Tripletex sends each voucher change; checksum polls are the safety net"
    if mode is FreshMode.PAUSED:
        why = {
            OrgState.CANCELLED.value: "the sync is cancelled",
            OrgState.NEEDS_ATTENTION.value: "it needs attention",
        }.get(state, "")
        return f"paused: {why}" if why else "paused: not synced by API yet"
    if not public_url:
        return "polling: checksum polls (no LEDGERSYNC_PUBLIC_URL, so no webhooks)"
    broken = [h for h in hooks if h.status != "active"]
    if broken:
        named = ", ".join(f"{h.event} {h.source_status or h.status}" for h in broken)
        return f"polling: webhooks not active ({named}); they are being re-created"
    return "polling: webhooks not subscribed yet"


def _age_s(now: dt.datetime, at: dt.datetime | None) -> int | None:
    return None if at is None else max(0, int((now - at).total_seconds()))


async def freshness(
    conn: asyncpg.Connection, org: asyncpg.Record, *, public_url: bool
) -> dict[str, Any]:
    """`org show --json`'s `freshness`: mode, subscriptions, last change, confirmation's age."""
    hooks = [
        Hook(r["event"], r["status"], r["source_status"])
        for r in await conn.fetch(Q["webhook_subscriptions_shown"], org["id"])
    ]
    row = await conn.fetchrow(Q["freshness_of_org"], org["id"])
    assert row is not None
    now = row["now"]
    mode = mode_of(org["state"], org["method"], hooks, public_url)
    confirmed = max(
        (at for at in (row["recent_checked_at"], row["applied_at"], row["synced_at"]) if at),
        default=None,
    )
    return {
        "mode": str(mode),
        "how": mode_sentence(mode, org["state"], hooks, public_url),
        "subscriptions": [
            {"event": h.event, "status": h.status, "source_status": h.source_status} for h in hooks
        ],
        "last_change": None
        if row["last_change_at"] is None
        else {
            "at": row["last_change_at"],
            "source": row["last_change_source"],
            "what": row["last_change_what"],
        },
        "last_delivery_at": row["received_at"],
        "confirmed_at": confirmed,
        "age_s": _age_s(now, confirmed),
        "newest_posting": row["newest_posting"],
        "checksums": row["checksums"] or "unknown",
        "next_nightly_at": row["nightly_due_at"],
        "last_nightly_at": row["nightly_done_at"],
    }
