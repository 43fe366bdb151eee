"""`org show` says how an organization is kept fresh: webhooks, polling (and why), or paused."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from cli_inproc import Invoke, sql
from cockpit_seed import api_year

from shared.db import connect

EVENTS = ("voucher.create", "voucher.delete", "voucher.update")


def synced_org(database_url: str) -> int:
    """An API organization synced just now, with one year."""

    async def seed() -> int:
        conn = await connect(database_url)
        try:
            org_id = await api_year(conn, "Fersk AS", 2025, {1: ("done", 3)})
            await conn.execute("UPDATE organizations SET state = 'synced' WHERE id = $1", org_id)
            await conn.execute(
                "UPDATE sync_years SET state = 'synced', finished_at = now() WHERE org_id = $1",
                org_id,
            )
            return org_id
        finally:
            await conn.close()

    return asyncio.run(seed())


def subscribe(database_url: str, org_id: int, status: str, source_status: str) -> None:
    for n, event in enumerate(EVENTS):
        sql(
            database_url,
            "INSERT INTO webhook_subscriptions (org_id, company_id, event, hook_key,"
            " secret_encrypted, subscription_id, status, source_status)"
            " VALUES ($1, 1, $2, $3, '\\x00', $4, $5, $6)",
            org_id,
            event,
            f"key-{org_id}-{n}",
            n + 1,
            status if event == "voucher.update" else "active",
            source_status if event == "voucher.update" else "ACTIVE",
        )


def show(cli: Invoke, org_id: int) -> tuple[dict[str, Any], str]:
    done = cli("org", "show", f"#{org_id}", "--json")
    assert done.code == 0, done.stderr
    text = cli("org", "show", f"#{org_id}")
    assert text.code == 0, text.stderr
    return json.loads(done.stdout)["freshness"], text.stdout


def test_without_a_public_url_it_is_kept_fresh_by_polling_and_says_why(
    cli: Invoke, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGERSYNC_PUBLIC_URL", raising=False)
    org_id = synced_org(database_url)
    kept, text = show(cli, org_id)
    assert kept["mode"] == "polling"
    assert "no LEDGERSYNC_PUBLIC_URL" in kept["how"]
    assert "Kept fresh by polling" in text
    assert kept["age_s"] is not None
    assert kept["age_s"] < 600


def test_with_every_voucher_event_active_it_is_kept_fresh_by_webhooks(
    cli: Invoke, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERSYNC_PUBLIC_URL", "https://hooks.example.com")
    org_id = synced_org(database_url)
    subscribe(database_url, org_id, "active", "ACTIVE")
    sql(
        database_url,
        "INSERT INTO freshness (org_id, last_change_at, last_change_source, last_change_what,"
        " checksums) VALUES ($1, now(), 'webhook', 'voucher 42 updated: 2 postings', 'supported')",
        org_id,
    )
    kept, text = show(cli, org_id)
    assert kept["mode"] == "webhooks"
    assert [s["event"] for s in kept["subscriptions"]] == list(EVENTS)
    assert kept["last_change"]["what"] == "voucher 42 updated: 2 postings"
    assert "by webhook: voucher 42 updated: 2 postings" in text
    assert "checksums answered" in text


def test_a_disabled_subscription_falls_back_to_polling_and_names_it(
    cli: Invoke, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERSYNC_PUBLIC_URL", "https://hooks.example.com")
    org_id = synced_org(database_url)
    subscribe(database_url, org_id, "disabled", "DISABLED_TOO_MANY_ERRORS")
    kept, text = show(cli, org_id)
    assert kept["mode"] == "polling"
    assert "voucher.update DISABLED_TOO_MANY_ERRORS" in text


def test_a_cancelled_organization_is_paused(cli: Invoke, database_url: str) -> None:
    org_id = synced_org(database_url)
    sql(database_url, "UPDATE organizations SET state = 'cancelled' WHERE id = $1", org_id)
    kept, text = show(cli, org_id)
    assert kept["mode"] == "paused"
    assert "Kept fresh by paused: the sync is cancelled" in text
