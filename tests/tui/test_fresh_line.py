"""The organization screen's line on how it is kept fresh (pure)."""

from __future__ import annotations

import datetime as dt

from tui.screens.detail import fresh_line
from tui.views import Freshness

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def test_webhooks_with_the_last_change_and_the_confirmation_age() -> None:
    kept = Freshness(
        "webhooks",
        "webhooks: Tripletex sends each voucher change; checksum polls are the safety net",
        NOW - dt.timedelta(seconds=40),
        NOW - dt.timedelta(minutes=2),
        "webhook",
        "voucher 42 updated: 2 postings",
    )
    line = fresh_line(kept, NOW)
    assert line.startswith("Fresh: [b]webhooks[/b] (Tripletex sends each voucher change")
    assert "last change 2m 00s ago by webhook (voucher 42 updated: 2 postings)" in line
    assert line.endswith("confirmed current 40s ago")


def test_polling_says_why_and_leaves_out_what_is_unknown() -> None:
    kept = Freshness(
        "polling", "polling: checksum polls (no LEDGERSYNC_PUBLIC_URL, so no webhooks)"
    )
    line = fresh_line(kept, NOW)
    assert line == (
        "Fresh: [b]polling[/b] (checksum polls (no LEDGERSYNC_PUBLIC_URL, so no webhooks))"
    )


def test_the_home_table_says_hooks_or_polls_for_a_synced_api_organization() -> None:
    from shared.freshness import short_mode

    assert short_mode("synced", "api", 3, public_url=True) == "hooks"
    assert short_mode("synced", "api", 2, public_url=True) == "polls"
    assert short_mode("synced", "api", 3, public_url=False) == "polls"
    assert short_mode("syncing", "api", 3, public_url=True) is None
    assert short_mode("synced", "saft", 0, public_url=True) is None
