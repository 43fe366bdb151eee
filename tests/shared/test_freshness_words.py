"""How an organization is kept fresh, in words (pure)."""

from __future__ import annotations

from shared.freshness import VOUCHER_EVENTS, FreshMode, Hook, mode_of, mode_sentence

ACTIVE = [Hook(event, "active", "ACTIVE") for event in VOUCHER_EVENTS]


def test_webhooks_only_when_every_voucher_event_is_active_and_a_public_url_is_set() -> None:
    assert mode_of("synced", "api", ACTIVE, public_url=True) is FreshMode.WEBHOOKS
    assert mode_of("synced", "api", ACTIVE, public_url=False) is FreshMode.POLLING
    one_off = [*ACTIVE[:2], Hook(VOUCHER_EVENTS[2], "disabled", "DISABLED_TOO_MANY_ERRORS")]
    assert mode_of("synced", "api", one_off, public_url=True) is FreshMode.POLLING
    sentence = mode_sentence(FreshMode.POLLING, "synced", one_off, public_url=True)
    assert "voucher.delete DISABLED_TOO_MANY_ERRORS" in sentence


def test_without_a_public_url_the_sentence_says_so() -> None:
    sentence = mode_sentence(FreshMode.POLLING, "synced", [], public_url=False)
    assert "LEDGERSYNC_PUBLIC_URL" in sentence
    assert sentence.startswith("polling")


def test_paused_when_not_synced_by_api() -> None:
    assert mode_of("syncing", "api", ACTIVE, public_url=True) is FreshMode.PAUSED
    assert mode_of("synced", "saft", [], public_url=True) is FreshMode.PAUSED
    cancelled = mode_sentence(FreshMode.PAUSED, "cancelled", [], public_url=True)
    assert cancelled == "paused: the sync is cancelled"
