-- Webhooks (issue 21): subscriptions at Tripletex, the deliveries the receiver accepts, the
-- per-organization apply queue, and the newest voucher version applied from a delivery.

-- name: webhook_subscription_by_key
-- The subscription a delivery's path key names, while it may deliver (active, or being created).
SELECT id, org_id, company_id, event, secret_encrypted, subscription_id
FROM webhook_subscriptions
WHERE hook_key = $1 AND status IN ('active', 'creating') AND org_id IS NOT NULL;

-- name: webhook_delivery_insert
-- A delivery accepted by the receiver (before it answers 2xx); its id.
INSERT INTO webhook_deliveries (org_id, subscription, event, object_id)
VALUES ($1, $2, $3, $4)
RETURNING id;

-- name: webhook_subscription_delivered
-- The subscription brought a delivery just now.
UPDATE webhook_subscriptions SET last_delivery_at = now() WHERE id = $1;

-- name: webhook_queue_insert
-- Ask for the organization's deliveries to be applied; true when none was waiting (then the
-- caller sends `apply_deliveries`): a burst of deliveries is one job. A waiting row is locked
-- (updated to itself) until the delivery commits, so the apply job's webhook_queue_take waits
-- for it and then sees the delivery; had the job taken the row first, this one inserts anew.
INSERT INTO webhook_queue AS q (org_id) VALUES ($1)
ON CONFLICT (org_id) DO UPDATE SET queued_at = q.queued_at
RETURNING (xmax = 0) AS inserted;

-- name: webhook_queue_take
-- The apply job starts: deliveries arriving from now on queue a new message.
DELETE FROM webhook_queue WHERE org_id = $1;

-- name: webhook_deliveries_pending
-- The organization's deliveries not applied yet, oldest first.
SELECT id, event, object_id FROM webhook_deliveries
WHERE org_id = $1 AND applied_at IS NULL
ORDER BY id;

-- name: webhook_deliveries_applied
-- Deliveries done with, and how ($3: updated, deleted, stale, ignored, ...).
UPDATE webhook_deliveries SET applied_at = now(), outcome = $3
WHERE org_id = $1 AND id = any($2::bigint[]) AND applied_at IS NULL;

-- name: webhook_deliveries_stalled
-- Organizations (syncing or synced) with deliveries waiting longer than $1 s whose apply message
-- may be lost (Redis was away when the receiver sent it, or a worker died): their queue row is
-- (re)claimed, and the caller sends `apply_deliveries` for each. A queue row younger than $1 s
-- has its message on the way.
INSERT INTO webhook_queue AS q (org_id)
SELECT DISTINCT d.org_id FROM webhook_deliveries AS d
JOIN organizations AS o ON o.id = d.org_id
WHERE d.applied_at IS NULL AND d.received_at < now() - make_interval(secs => $1)
  AND o.state IN ('syncing', 'synced') AND NOT o.cancel_requested
ON CONFLICT (org_id) DO UPDATE SET queued_at = now()
WHERE q.queued_at < now() - make_interval(secs => $1)
RETURNING org_id;

-- name: webhook_company_fence
-- The organization, if it still synchronizes company $2; held FOR KEY SHARE until the voucher's
-- write commits, so a company change cannot slip in between (as chunk_company_fence).
SELECT id FROM organizations WHERE id = $1 AND company_id = $2 FOR KEY SHARE;

-- name: webhook_voucher_stage
-- A fetched voucher (`{"value": {..., "postings": [...]}}`, bytes as received) staged as one page
-- of its postings, for chunk_merge with the voucher's id. Postgres reads the amounts exactly.
INSERT INTO staged_pages (page)
SELECT convert_to(
    jsonb_build_object(
        'values', coalesce(convert_from($1::bytea, 'UTF8')::jsonb -> 'value' -> 'postings',
                           '[]'::jsonb))::text,
    'UTF8');

-- name: webhook_voucher_dates
-- The dates the voucher's stored postings lie on.
SELECT DISTINCT posting_date FROM postings WHERE org_id = $1 AND voucher_id = $2;

-- name: webhook_chunks_recount
-- The finished chunks holding any of the dates $2 count the postings they hold again, so every
-- screen's "postings imported" (summed from the chunks) follows a delivery's change.
UPDATE chunks AS c
SET postings = (
    SELECT count(*) FROM postings AS p
    WHERE p.org_id = c.org_id AND p.posting_date >= c.date_from AND p.posting_date < c.date_to
      AND (c.account_from IS NULL OR nullif(p.account_number, '')::bigint >= c.account_from)
      AND (c.account_to IS NULL OR nullif(p.account_number, '')::bigint < c.account_to))
WHERE c.org_id = $1 AND c.state = 'done'
  AND EXISTS (SELECT 1 FROM unnest($2::date[]) AS d WHERE d >= c.date_from AND d < c.date_to);

-- name: webhook_years_changed
-- The years a delivery changed: the checksum polls and the nightly proof look at them again.
UPDATE sync_years SET changed_at = now() WHERE org_id = $1 AND year = any($2::int[]);

-- name: webhook_freshness_record
-- The last change received, for `org show` and the cockpit.
INSERT INTO freshness (org_id, last_change_at, last_change_source, last_change_what)
VALUES ($1, now(), 'webhook', $2)
ON CONFLICT (org_id) DO UPDATE SET
    last_change_at = now(), last_change_source = 'webhook', last_change_what = $2,
    updated_at = now();

-- name: voucher_version_claim
-- Apply version $3 of a voucher unless a newer one (or its deletion) was applied: the row is
-- written and locked until commit, so two jobs of one organization apply a voucher in turn. No
-- row back: stale, skip it. An equal version is applied again (the merge rewrites nothing).
INSERT INTO voucher_versions AS v (org_id, voucher_id, version, deleted)
VALUES ($1, $2, $3, false)
ON CONFLICT (org_id, voucher_id) DO UPDATE SET version = excluded.version, applied_at = now()
WHERE NOT v.deleted AND v.version <= excluded.version
RETURNING version;

-- name: voucher_version_delete
-- The voucher is gone at Tripletex (a deleted voucher's id never comes back): from now on no
-- version of it is applied. Its last version is kept (0: never seen).
INSERT INTO voucher_versions AS v (org_id, voucher_id, version, deleted)
VALUES ($1, $2, 0, true)
ON CONFLICT (org_id, voucher_id) DO UPDATE SET deleted = true, applied_at = now()
RETURNING version;

-- name: webhook_care_lock
-- One care run per organization at a time (session lock; false: another runs), so two runs
-- never ask Tripletex for the same subscription twice.
SELECT pg_try_advisory_lock(7021, $1::int);

-- name: webhook_care_unlock
-- The care run is over.
SELECT pg_advisory_unlock(7021, $1::int);

-- name: webhook_subscriptions_of_org
-- The organization's subscriptions (not those being removed), one per event.
SELECT id, company_id, event, hook_key, secret_encrypted, subscription_id, status, checked_at,
       created_at
FROM webhook_subscriptions
WHERE org_id = $1 AND status <> 'removing';

-- name: webhook_subscription_create
-- A subscription row before it is asked for at Tripletex (status creating); its id. An existing
-- row of the same organization and event is kept as it is (NULL back).
INSERT INTO webhook_subscriptions (org_id, company_id, event, hook_key, secret_encrypted)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (org_id, event) WHERE status <> 'removing' DO NOTHING
RETURNING id;

-- name: webhook_subscription_created
-- Tripletex made the subscription: its id, and it delivers; $3: it replaced a disabled one.
UPDATE webhook_subscriptions
SET subscription_id = $2, status = 'active', source_status = 'ACTIVE', checked_at = now(),
    recreated = recreated + CASE WHEN $3 THEN 1 ELSE 0 END
WHERE id = $1 AND status <> 'removing';

-- name: webhook_subscription_disabled
-- Tripletex stopped delivering ($2: its word); the row waits for its subscription to be made
-- again. Returns since when deliveries may have been missed: the last time it was seen active.
UPDATE webhook_subscriptions AS w
SET status = 'disabled', source_status = $2, subscription_id = NULL
FROM webhook_subscriptions AS old
WHERE w.id = $1 AND old.id = w.id AND w.status <> 'removing'
RETURNING coalesce(old.checked_at, old.created_at) AS healthy_since;

-- name: webhook_subscription_checked
-- Seen ACTIVE at Tripletex just now.
UPDATE webhook_subscriptions
SET checked_at = now(), status = 'active', source_status = 'ACTIVE'
WHERE id = $1 AND status <> 'removing';

-- name: webhook_subscriptions_known_keys
-- Which of these path keys are ours (any organization, any status).
SELECT hook_key FROM webhook_subscriptions WHERE hook_key = any($1::text[]);

-- name: webhook_subscriptions_release
-- The organization is removed or changes company: its subscriptions are to be deleted at
-- Tripletex, with a copy of the token (ciphertext) that can still do so; their ids.
UPDATE webhook_subscriptions AS w
SET status = 'removing',
    token_encrypted = (SELECT c.employee_token FROM credentials AS c WHERE c.org_id = w.org_id)
WHERE w.org_id = $1 AND w.status <> 'removing'
RETURNING w.id;

-- name: webhook_org_forget
-- The organization's company changes: the deliveries and versions of the former one go.
WITH d AS (DELETE FROM webhook_deliveries WHERE org_id = $1),
     q AS (DELETE FROM webhook_queue WHERE org_id = $1)
DELETE FROM voucher_versions WHERE org_id = $1;

-- name: webhook_subscription_removing
-- A subscription to delete at Tripletex, with the token copy to do it with.
SELECT id, company_id, subscription_id, token_encrypted
FROM webhook_subscriptions WHERE id = $1 AND status = 'removing';

-- name: webhook_subscription_delete
-- The subscription is gone at Tripletex (or can no longer be reached): the row goes.
DELETE FROM webhook_subscriptions WHERE id = $1 AND status = 'removing';
