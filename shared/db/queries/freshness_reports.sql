-- Reading how organizations are kept fresh (shared/freshness.py): `org show`, the cockpit.

-- name: webhook_subscriptions_shown
-- An organization's webhook subscriptions as we hold them (not those being removed).
SELECT event, status, source_status, checked_at, last_delivery_at, recreated
FROM webhook_subscriptions
WHERE org_id = $1 AND status <> 'removing'
ORDER BY event;

-- name: freshness_of_org
-- One organization's freshness: the row (if any), its newest posting, its last delivery
-- received and applied, and when its last year was synced.
SELECT now() AS now, f.checksums, f.last_change_at, f.last_change_source, f.last_change_what,
       f.recent_checked_at, f.nightly_due_at, f.nightly_done_at,
       (SELECT max(posting_date) FROM postings WHERE org_id = $1) AS newest_posting,
       (SELECT max(received_at) FROM webhook_deliveries WHERE org_id = $1) AS received_at,
       (SELECT max(applied_at) FROM webhook_deliveries WHERE org_id = $1) AS applied_at,
       (SELECT max(finished_at) FROM sync_years WHERE org_id = $1 AND state = 'synced')
           AS synced_at
FROM (SELECT $1::bigint AS org_id) AS o
LEFT JOIN freshness AS f USING (org_id);
