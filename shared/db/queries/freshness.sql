-- freshness and poll_ranges: how each organization is kept fresh, the date ranges its checksum
-- polls probe (worker/freshness/), and the scheduler's claims of polls and nightly passes.

-- name: poll_ranges_try_lock
-- Take the organization's poll lock if it is free (held by this session until
-- poll_ranges_unlock or its end); whether it was taken.
SELECT pg_try_advisory_lock(7021, $1::int);

-- name: poll_ranges_lock
-- Wait for the organization's poll lock (a nightly pass waits for a poll under way).
SELECT pg_advisory_lock(7021, $1::int);

-- name: poll_ranges_unlock
-- Release the organization's poll lock.
SELECT pg_advisory_unlock(7021, $1::int);

-- name: poll_ranges_of_org
-- The organization's polled ranges, in date order.
SELECT date_from, date_to, digest, content_hash, vouchers, checked_at, changed_at
FROM poll_ranges WHERE org_id = $1 ORDER BY date_from;

-- name: poll_ranges_clear
-- Forget the organization's ranges (before they are written again in a new shape).
DELETE FROM poll_ranges WHERE org_id = $1;

-- name: poll_ranges_delete
-- Forget one range (halved: its halves are inserted in its place).
DELETE FROM poll_ranges WHERE org_id = $1 AND date_from = $2;

-- name: poll_ranges_insert
-- Ranges of an organization, one per element of the arrays (from, to, digest, hash, vouchers,
-- checked_at, changed_at).
INSERT INTO poll_ranges
    (org_id, date_from, date_to, year, digest, content_hash, vouchers, checked_at, changed_at)
SELECT $1, f, t, extract(year FROM f)::int, d, h, v, c, ch
FROM unnest($2::date[], $3::date[], $4::text[], $5::text[], $6::int[], $7::timestamptz[],
            $8::timestamptz[]) AS u (f, t, d, h, v, c, ch);

-- name: poll_ranges_record
-- A probe's outcome: the digest to send next ($3), our hash and the vouchers ($4, $5: NULL keeps
-- them, after a 304), checked now; changed now too when $6.
UPDATE poll_ranges
SET digest = $3, content_hash = coalesce($4, content_hash), vouchers = coalesce($5, vouchers),
    checked_at = now(), changed_at = CASE WHEN $6 THEN now() ELSE changed_at END
WHERE org_id = $1 AND date_from = $2;

-- name: freshness_ensure
-- The organization's freshness row, if it has none yet.
INSERT INTO freshness (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING;

-- name: freshness_checksums
-- Whether the API answers the organization's probes with checksums ('supported'/'unsupported').
UPDATE freshness SET checksums = $2, updated_at = now()
WHERE org_id = $1 AND checksums IS DISTINCT FROM $2;

-- name: freshness_change
-- The last change found: when (now), by what ($2: webhook, poll, nightly), and what ($3).
UPDATE freshness
SET last_change_at = now(), last_change_source = $2, last_change_what = $3, updated_at = now()
WHERE org_id = $1;

-- name: freshness_recent_checked
-- A poll of the organization's recent ranges ran to its end.
UPDATE freshness SET recent_checked_at = now(), updated_at = now() WHERE org_id = $1;

-- name: freshness_nightly_done
-- A nightly pass ran to its end.
UPDATE freshness SET nightly_done_at = now(), updated_at = now() WHERE org_id = $1;

-- name: freshness_polls_due
-- Synced API organizations whose poll of the recent ranges is due: every $1 s, or every $2 s
-- where each voucher event ($3) has an active webhook subscription; the first one an interval
-- after the organization settled. Claimed for this tick (poll_due_at moves on).
WITH due AS (
    SELECT o.id, o.updated_at,
           CASE WHEN NOT EXISTS (
                    SELECT unnest($3::text[])
                    EXCEPT SELECT w.event FROM webhook_subscriptions AS w
                    WHERE w.org_id = o.id AND w.status = 'active')
                THEN $2::float8 ELSE $1::float8 END AS every_s
    FROM organizations AS o
    WHERE o.state = 'synced' AND o.method = 'api' AND NOT o.cancel_requested
)
INSERT INTO freshness AS f (org_id, poll_due_at)
SELECT due.id, now() + make_interval(secs => due.every_s)
FROM due LEFT JOIN freshness AS old ON old.org_id = due.id
WHERE coalesce(old.poll_due_at, due.updated_at + make_interval(secs => due.every_s)) <= now()
ON CONFLICT (org_id) DO UPDATE SET poll_due_at = excluded.poll_due_at
WHERE f.poll_due_at IS NULL OR f.poll_due_at <= now()
RETURNING f.org_id;

-- name: freshness_nightly_candidates
-- Synced (or syncing) API organizations with no nightly pass set yet or whose pass is due, with
-- every organization sharing their tokens (they share the night's slots): id, the token's
-- fingerprint, and whether the pass is unset.
WITH orgs AS (
    SELECT o.id, c.token_fingerprint, f.nightly_due_at
    FROM organizations AS o
    LEFT JOIN credentials AS c ON c.org_id = o.id
    LEFT JOIN freshness AS f ON f.org_id = o.id
    WHERE o.state IN ('synced', 'syncing') AND o.method = 'api'
)
SELECT id, token_fingerprint, nightly_due_at IS NULL AS unset FROM orgs
WHERE EXISTS (SELECT 1 FROM orgs AS u
              WHERE (u.nightly_due_at IS NULL OR u.nightly_due_at <= now())
                AND (u.id = orgs.id OR u.token_fingerprint = orgs.token_fingerprint));

-- name: freshness_nightly_set
-- The first nightly pass of organizations ($1, at $2, element-wise); one already set is kept.
INSERT INTO freshness AS f (org_id, nightly_due_at)
SELECT i, at FROM unnest($1::bigint[], $2::timestamptz[]) AS u (i, at)
ON CONFLICT (org_id) DO UPDATE SET nightly_due_at = coalesce(f.nightly_due_at, excluded.nightly_due_at);

-- name: freshness_nightly_due
-- Of these organizations ($1), the synced ones whose nightly pass is due, claimed for this tick:
-- the next is due at $2 (element-wise).
UPDATE freshness AS f SET nightly_due_at = u.next
FROM unnest($1::bigint[], $2::timestamptz[]) AS u (id, next), organizations AS o
WHERE f.org_id = u.id AND o.id = u.id AND o.state = 'synced' AND o.method = 'api'
  AND NOT o.cancel_requested AND f.nightly_due_at <= now()
RETURNING f.org_id;

-- name: freshness_care_due
-- Synced API organizations whose webhook subscriptions' care is due (every $1 s; the first at
-- once). Claimed for this tick (care_due_at moves on).
INSERT INTO freshness AS f (org_id, care_due_at)
SELECT o.id, now() + make_interval(secs => $1)
FROM organizations AS o
LEFT JOIN freshness AS old ON old.org_id = o.id
WHERE o.state = 'synced' AND o.method = 'api' AND NOT o.cancel_requested
  AND (old.care_due_at IS NULL OR old.care_due_at <= now())
ON CONFLICT (org_id) DO UPDATE SET care_due_at = excluded.care_due_at
WHERE f.care_due_at IS NULL OR f.care_due_at <= now()
RETURNING f.org_id;
