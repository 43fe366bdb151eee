"""Webhooks (issue 21): an organization kept fresh within seconds of each change at Tripletex.

receiver.py (the aiohttp app of `ledgersync web`: a delivery is checked, stored and queued, then
answered 2xx), deliveries.py (the `apply_deliveries` job: each voucher a burst named fetched once
and written through store.py, an older version never over a newer one), subscriptions.py
(`care_webhooks`: one active subscription per voucher event, disabled ones made again and their
gap re-synced; `remove_webhooks`: subscriptions of removed organizations deleted at Tripletex).

What is sent and read is worker/tripletex/events.py (pure) and changes.py (the calls); SQL is
shared/db/queries/webhooks.sql. Tables written: webhook_subscriptions, webhook_deliveries,
webhook_queue, voucher_versions, freshness (its last change), and postings and
sync_years.changed_at for the vouchers applied. Without LEDGERSYNC_PUBLIC_URL nothing here runs:
an organization is kept fresh by polling.
"""
