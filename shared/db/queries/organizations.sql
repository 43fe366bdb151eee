-- organizations: an organization's life (register, company, state, cancel, remove), the
-- scheduler's claims on it, its planning marks and lock, and the rows the terminal UI lists.

-- name: org_insert
-- Register an organization; returns its id.
INSERT INTO organizations (name, method, provider, state)
VALUES ($1, $2, $3, $4)
RETURNING id;

-- name: org_by_id
-- One organization.
SELECT id, name, method, provider, state, state_reason, company_id, company_name,
       company_org_number, last_error, last_error_at, cancel_requested, created_at, updated_at,
       (SELECT token_fingerprint FROM credentials WHERE org_id = organizations.id)
           AS token_fingerprint
FROM organizations WHERE id = $1;

-- name: org_by_name
-- One organization by its name (case-insensitive).
SELECT id, name, method, provider, state, state_reason, company_id, company_name,
       company_org_number, last_error, last_error_at, cancel_requested, created_at, updated_at,
       (SELECT token_fingerprint FROM credentials WHERE org_id = organizations.id)
           AS token_fingerprint
FROM organizations WHERE lower(name) = lower($1);

-- name: org_list
-- Every organization, oldest first.
SELECT id, name, method, provider, state, state_reason, company_id, company_name,
       company_org_number, last_error, last_error_at, cancel_requested, created_at, updated_at,
       (SELECT token_fingerprint FROM credentials WHERE org_id = organizations.id)
           AS token_fingerprint
FROM organizations ORDER BY id;

-- name: org_set_state
-- Move an organization to a state, with the reason (NULL clears it).
UPDATE organizations
SET state = $2, state_reason = $3, updated_at = now(),
    last_error = CASE WHEN $2 = 'needs_attention' THEN $3 ELSE last_error END
WHERE id = $1;

-- name: org_select_company
-- Choose the company to synchronize.
UPDATE organizations
SET company_id = $2, company_name = $3, company_org_number = $4, updated_at = now(),
    plan_requested_at = now()
WHERE id = $1;

-- name: org_delete
-- Remove an organization and, by cascade, all its data.
DELETE FROM organizations WHERE id = $1;

-- name: org_lock
-- Serialize changes to one organization's work (dispatching, settling). NO KEY UPDATE: it must
-- not wait for the chunk writes in flight, which hold the row FOR KEY SHARE (their foreign keys
-- and the company fence); FOR UPDATE made every dispatch wait for every write, and each write
-- for the dispatch queued before it (a convoy: 45 s merges of 0.5 s work on a re-sync).
SELECT id, state, company_id, cancel_requested FROM organizations WHERE id = $1
FOR NO KEY UPDATE;

-- name: org_import_target
-- The company an organization imports, and whether it is the token's own (Basic username 0).
SELECT o.id, o.state, o.company_id, o.cancel_requested, coalesce(c.is_own, false) AS is_own
FROM organizations AS o
LEFT JOIN companies AS c ON c.org_id = o.id AND c.company_id = o.company_id
WHERE o.id = $1;

-- name: org_years_summary
-- How many years are in each state, to settle the organization's state.
SELECT count(*) FILTER (WHERE state IN ('importing', 'reconciling')) AS open,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) AS total
FROM sync_years WHERE org_id = $1;

-- name: orgs_by_state
-- How many organizations are in each state.
SELECT state, count(*) AS count FROM organizations GROUP BY state ORDER BY state;

-- name: orgs_validation_lost
-- Organizations validating for longer than $1 s: their message may be lost. Claimed for this tick.
UPDATE organizations SET updated_at = now()
WHERE state = 'validating' AND updated_at < now() - make_interval(secs => $1)
RETURNING id;

-- name: orgs_plan_lost
-- Organizations syncing for longer than $1 s with no year open: their plan_sync message was lost
-- before it started any year. Claimed for this tick.
UPDATE organizations AS o SET updated_at = now()
WHERE o.state = 'syncing' AND NOT o.cancel_requested AND o.company_id IS NOT NULL
  AND o.updated_at < now() - make_interval(secs => $1)
  AND NOT EXISTS (SELECT 1 FROM sync_years AS y
                  WHERE y.org_id = o.id AND y.state IN ('importing', 'reconciling'))
RETURNING o.id;

-- name: orgs_dispatch_stalled
-- Organizations syncing with chunks waiting to be sent (or held) and none queued or running:
-- nothing would ever send them (the worker that was to dispatch them died or lost its connection).
SELECT o.id FROM organizations AS o
WHERE o.state = 'syncing' AND NOT o.cancel_requested
  AND EXISTS (SELECT 1 FROM chunks AS c
              WHERE c.org_id = o.id AND c.state IN ('pending', 'held'))
  AND NOT EXISTS (SELECT 1 FROM chunks AS c
                  WHERE c.org_id = o.id AND c.state IN ('queued', 'running'));

-- name: org_set_company_from_file
-- A SAF-T organization's company, as its file's header names it (no Tripletex id).
UPDATE organizations
SET company_name = $2, company_org_number = $3, updated_at = now()
WHERE id = $1;

-- name: org_reopen
-- An organization works again (validating or syncing), unless an operator cancelled it.
UPDATE organizations SET state = $2, state_reason = NULL, updated_at = now()
WHERE id = $1 AND NOT cancel_requested;

-- name: org_cancel
-- Stop an organization's sync between chunks; returns how many of its chunks are running.
UPDATE organizations
SET cancel_requested = true, state = 'cancelled', state_reason = $2, updated_at = now()
WHERE id = $1
RETURNING (SELECT count(*) FROM chunks WHERE org_id = $1 AND state = 'running') AS running;

-- name: org_resume
-- Let a cancelled organization sync again (the workers continue where it stopped).
UPDATE organizations
SET cancel_requested = false, state = 'syncing', state_reason = NULL, updated_at = now()
WHERE id = $1 AND cancel_requested
RETURNING id;

-- name: org_has_years
-- Whether an organization's sync was ever planned.
SELECT EXISTS (SELECT 1 FROM sync_years WHERE org_id = $1);

-- name: org_attention_unless_settled
-- A job of the organization stopped for good: it needs attention (unless it does already).
UPDATE organizations
SET state = 'needs_attention', state_reason = $2, last_error = $2, updated_at = now()
WHERE id = $1 AND state NOT IN ('needs_attention', 'cancelled') AND NOT cancel_requested;

-- name: orgs_overview
-- The terminal UI's home screen (and the fleet view): every organization with its years'
-- progress summed (the rate's weighted sum, and the seconds since its import started while it
-- syncs: tui/pace.py), failed chunks, the share of its running SAF-T file read so far, its last
-- change (`updated_at`: for one that waits on an operator, when it began to wait), its token's
-- fingerprint, its active webhook subscriptions (how it is kept fresh), and the database's clock.
WITH files AS (
    SELECT DISTINCT ON (org_id) org_id, bytes_read::float8 / nullif(bytes_total, 0) AS file_read
    FROM saft_imports WHERE state IN ('queued', 'running')
    ORDER BY org_id, id DESC
)
SELECT o.id, o.name, o.method, o.provider, o.company_name, o.state, o.state_reason,
       o.last_error, o.last_error_at, o.cancel_requested, y.expected,
       coalesce(y.imported, 0) AS imported, coalesce(y.kept, 0) AS kept,
       coalesce(y.weighted, 0) AS weighted,
       CASE WHEN o.state = 'syncing' THEN y.importing_s END AS since_s,
       coalesce(y.left_known, 0) AS left_known, coalesce(y.days_left, 0) AS days_left,
       y.density_lo, y.density_hi, coalesce(y.chunks_failed, 0) AS chunks_failed, f.file_read,
       now() AS at, coalesce(y.days_done, 0) AS days_done, y.days_total, o.updated_at,
       cr.token_fingerprint,
       (SELECT count(*) FROM webhook_subscriptions AS w
        WHERE w.org_id = o.id AND w.status = 'active' AND w.event LIKE 'voucher.%')
           AS hooks_active
FROM organizations AS o
LEFT JOIN org_progress AS y ON y.org_id = o.id
LEFT JOIN files AS f ON f.org_id = o.id
LEFT JOIN credentials AS cr ON cr.org_id = o.id
ORDER BY o.id;

-- name: org_overview
-- One organization as `orgs_overview` shows it, with its company and token fingerprint.
SELECT o.id, o.name, o.method, o.provider, o.company_name, o.state, o.state_reason,
       o.last_error, o.last_error_at, o.cancel_requested, o.company_id, o.company_org_number,
       cr.token_fingerprint,
       y.expected, coalesce(y.imported, 0) AS imported, coalesce(y.kept, 0) AS kept,
       coalesce(y.weighted, 0) AS weighted,
       CASE WHEN o.state = 'syncing' THEN y.importing_s END AS since_s,
       coalesce(y.left_known, 0) AS left_known, coalesce(y.days_left, 0) AS days_left,
       y.density_lo, y.density_hi, coalesce(y.chunks_failed, 0) AS chunks_failed,
       (SELECT bytes_read::float8 / nullif(bytes_total, 0) FROM saft_imports
        WHERE org_id = $1 AND state IN ('queued', 'running') ORDER BY id DESC LIMIT 1)
           AS file_read,
       now() AS at, coalesce(y.days_done, 0) AS days_done, y.days_total, o.updated_at
FROM organizations AS o
LEFT JOIN org_progress AS y ON y.org_id = o.id
LEFT JOIN credentials AS cr ON cr.org_id = o.id
WHERE o.id = $1;

-- name: org_plan_lock
-- Wait for the organization's planning lock (held by this session until org_plan_unlock or
-- its end).
SELECT pg_advisory_lock(7001, $1::int);

-- name: org_plan_unlock
-- Release the organization's planning lock.
SELECT pg_advisory_unlock(7001, $1::int);

-- name: org_plan_covered
-- Whether the last plan requested is done: a completed plan started after it was requested and
-- covered the year asked for ($2; NULL: every year). Never requested: not covered.
SELECT coalesce(
    planned_at >= plan_requested_at
    AND (planned_year IS NULL OR planned_year IS NOT DISTINCT FROM $2::int), false)
FROM organizations WHERE id = $1;

-- name: org_request_plan
-- A plan of the organization's import is wanted (set with the change that calls for it).
UPDATE organizations SET plan_requested_at = now() WHERE id = $1;

-- name: org_plan_completed
-- A plan for the year $3 (NULL: every year) that started at $2 is complete.
UPDATE organizations SET planned_at = $2, planned_year = $3 WHERE id = $1;

-- name: orgs_stalled
-- Organizations with work to do and nothing of theirs running or done for more than $1 s: no
-- chunk running, no year started, planned or finished since, no state change since.
WITH activity AS (
    SELECT o.id, o.name,
           greatest(o.updated_at,
                    (SELECT max(greatest(c.finished_at, c.started_at, c.queued_at))
                     FROM chunks AS c WHERE c.org_id = o.id),
                    (SELECT max(greatest(y.started_at, y.finished_at))
                     FROM sync_years AS y WHERE y.org_id = o.id)) AS last_active
    FROM organizations AS o
    WHERE o.state IN ('validating', 'syncing') AND NOT o.cancel_requested
      AND NOT EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = o.id AND c.state = 'running')
)
SELECT id, name, extract(epoch FROM now() - last_active)::float8 AS idle_s
FROM activity
WHERE last_active < now() - make_interval(secs => $1)
ORDER BY idle_s DESC;

-- name: org_lock_for_change
-- The organization, locked against chunk writes and plans until this transaction ends (a
-- company change: writes take the row FOR KEY SHARE, so they wait, or it waits for them).
SELECT id, name, company_id, company_name, company_org_number
FROM organizations WHERE id = $1 FOR UPDATE;

-- name: org_company_data
-- Whether the organization holds anything of its company: postings, years, chunks.
SELECT EXISTS (SELECT 1 FROM postings WHERE org_id = $1)
    OR EXISTS (SELECT 1 FROM sync_years WHERE org_id = $1)
    OR EXISTS (SELECT 1 FROM chunks WHERE org_id = $1) AS holds;

-- name: org_forget_company
-- Remove everything of the organization's former company: postings, chunks, years, check runs,
-- and its books beside the postings (registers, the source's balances, trial balances).
WITH p AS (DELETE FROM postings WHERE org_id = $1 RETURNING 1),
     c AS (DELETE FROM chunks WHERE org_id = $1 RETURNING 1),
     y AS (DELETE FROM sync_years WHERE org_id = $1 RETURNING 1),
     r AS (DELETE FROM check_runs WHERE org_id = $1 RETURNING 1),
     la AS (DELETE FROM ledger_accounts WHERE org_id = $1),
     vo AS (DELETE FROM voucher_types WHERE org_id = $1),
     va AS (DELETE FROM vat_types WHERE org_id = $1),
     cu AS (DELETE FROM customers WHERE org_id = $1),
     su AS (DELETE FROM suppliers WHERE org_id = $1),
     em AS (DELETE FROM employees WHERE org_id = $1),
     de AS (DELETE FROM departments WHERE org_id = $1),
     pj AS (DELETE FROM projects WHERE org_id = $1),
     pr AS (DELETE FROM products WHERE org_id = $1),
     dn AS (DELETE FROM dimension_names WHERE org_id = $1),
     dv AS (DELETE FROM dimension_values WHERE org_id = $1),
     rr AS (DELETE FROM register_refreshes WHERE org_id = $1),
     sb AS (DELETE FROM source_balances WHERE org_id = $1),
     tb AS (DELETE FROM trial_balances WHERE org_id = $1)
SELECT (SELECT count(*) FROM p) AS postings, (SELECT count(*) FROM c) AS chunks,
       (SELECT count(*) FROM y) AS years, (SELECT count(*) FROM r) AS check_runs;

-- name: org_posting_count
-- How many postings the organization holds.
SELECT count(*) FROM postings WHERE org_id = $1;

-- name: org_same_company
-- Other organizations that synchronize the company $2 (duplicates of organization $1).
SELECT id, name FROM organizations
WHERE company_id = $2 AND id <> $1 AND method = 'api' ORDER BY id;

-- name: org_company_fence
-- The organization, if it still reads company $2; held FOR KEY SHARE until the write commits,
-- so a company change cannot slip in between (the books beside the postings: registers, balances).
SELECT id FROM organizations WHERE id = $1 AND company_id IS NOT DISTINCT FROM $2
FOR KEY SHARE;
