-- name: migrations_create_table
-- The migration runner's own bookkeeping table.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: migrations_applied
-- Versions already applied.
SELECT version FROM schema_migrations;

-- name: migrations_record
-- Record one applied migration.
INSERT INTO schema_migrations (version, name) VALUES ($1, $2);

-- name: migrations_lock
-- Serialize concurrent migration runners on one database.
SELECT pg_advisory_lock($1);

-- name: migrations_unlock
-- Release the migration lock.
SELECT pg_advisory_unlock($1);

-- name: org_insert
-- Register an organization; returns its id.
INSERT INTO organizations (name, method, provider, state)
VALUES ($1, $2, $3, $4)
RETURNING id;

-- name: org_by_id
-- One organization.
SELECT id, name, method, provider, state, state_reason, company_id, company_name,
       company_org_number, last_error, cancel_requested, created_at, updated_at
FROM organizations WHERE id = $1;

-- name: org_by_name
-- One organization by its name (case-insensitive).
SELECT id, name, method, provider, state, state_reason, company_id, company_name,
       company_org_number, last_error, cancel_requested, created_at, updated_at
FROM organizations WHERE lower(name) = lower($1);

-- name: org_list
-- Every organization, oldest first.
SELECT id, name, method, provider, state, state_reason, company_id, company_name,
       company_org_number, last_error, cancel_requested, created_at, updated_at
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
SET company_id = $2, company_name = $3, company_org_number = $4, updated_at = now()
WHERE id = $1;

-- name: credentials_insert
-- Store an organization's encrypted employee token.
INSERT INTO credentials (org_id, employee_token, token_hint) VALUES ($1, $2, $3);

-- name: credentials_replace_token
-- Replace the employee token; the old session and who-owns-it are forgotten.
UPDATE credentials
SET employee_token = $2, token_hint = $3, session_token = NULL, session_expires = NULL,
    session_generation = session_generation + 1, employee_id = NULL,
    actual_employee_id = NULL, token_company_id = NULL, validated_at = NULL, updated_at = now()
WHERE org_id = $1;

-- name: credentials_by_org
-- An organization's credentials (encrypted).
SELECT org_id, employee_token, token_hint, session_token, session_expires, session_generation,
       employee_id, actual_employee_id, token_company_id, validated_at
FROM credentials WHERE org_id = $1;

-- name: key_check_get
-- The stored key check, if any.
SELECT ciphertext FROM key_check;

-- name: key_check_insert
-- Store the key check once.
INSERT INTO key_check (ciphertext) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: companies_by_org
-- The companies an organization's token reaches, own company first.
SELECT company_id, name, organization_number, customer_company_id, is_own
FROM companies WHERE org_id = $1 ORDER BY is_own DESC, name, company_id;

-- name: company_by_org
-- One reachable company.
SELECT company_id, name, organization_number, customer_company_id, is_own
FROM companies WHERE org_id = $1 AND company_id = $2;

-- name: years_progress
-- Per-year progress of an organization, newest year first.
SELECT y.year, y.state, y.expected, y.difference,
       coalesce(sum(c.postings) FILTER (WHERE c.state = 'done'), 0)::bigint AS imported,
       count(c.id) FILTER (WHERE c.state <> 'split') AS chunks_total,
       count(c.id) FILTER (WHERE c.state = 'done') AS chunks_done,
       count(c.id) FILTER (WHERE c.state = 'failed') AS chunks_failed
FROM sync_years AS y
LEFT JOIN chunks AS c ON c.org_id = y.org_id AND c.year = y.year
WHERE y.org_id = $1
GROUP BY y.year, y.state, y.expected, y.difference
ORDER BY y.year DESC;

-- name: org_delete
-- Remove an organization and, by cascade, all its data.
DELETE FROM organizations WHERE id = $1;

-- name: audit_insert
-- Record an action that changed something.
INSERT INTO audit_log (actor, action, org_id, detail) VALUES ($1, $2, $3, $4);

-- name: postings_year_totals
-- Count, debit and credit per year of an organization's postings.
SELECT extract(year FROM posting_date)::int AS year,
       count(*) AS count,
       coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debit,
       coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS credit
FROM postings WHERE org_id = $1
GROUP BY 1 ORDER BY 1;

-- name: chunk_stage_create
-- A staging table for one chunk's raw API pages, gone at commit.
CREATE TEMP TABLE staged_pages (page text NOT NULL) ON COMMIT DROP;

-- name: chunk_merge
-- Make the chunk's date range hold exactly the staged postings: upsert, delete the missing, count.
-- Postgres unpacks the raw page JSON, so amounts go from JSON text to numeric exactly.
WITH src AS (
    SELECT DISTINCT ON (p.id)
           p.id, p.date, p.amount, p.description, p."row", p."amountCurrency",
           p.currency ->> 'code' AS currency, p.account, p.voucher
    FROM staged_pages AS s,
         jsonb_to_recordset((s.page::jsonb) -> 'values') AS p(
             id bigint, date date, amount numeric, description text, "row" integer,
             "amountCurrency" numeric, currency jsonb, account jsonb, voucher jsonb)
    WHERE p.date >= $2 AND p.date < $3
    ORDER BY p.id
), upserted AS (
    INSERT INTO postings AS t (org_id, posting_id, posting_date, amount, account_number,
                               account_name, voucher_id, voucher_number, row_number,
                               description, amount_currency, currency)
    SELECT $1, id, date, amount, coalesce(account ->> 'number', ''), account ->> 'name',
           (voucher ->> 'id')::bigint, voucher ->> 'number', "row", description,
           "amountCurrency", currency
    FROM src
    ON CONFLICT (org_id, posting_id) DO UPDATE SET
        posting_date = excluded.posting_date, amount = excluded.amount,
        account_number = excluded.account_number, account_name = excluded.account_name,
        voucher_id = excluded.voucher_id, voucher_number = excluded.voucher_number,
        row_number = excluded.row_number, description = excluded.description,
        amount_currency = excluded.amount_currency, currency = excluded.currency
    WHERE (t.posting_date, t.amount, t.account_number, t.account_name, t.voucher_id,
           t.voucher_number, t.row_number, t.description, t.amount_currency, t.currency)
          IS DISTINCT FROM
          (excluded.posting_date, excluded.amount, excluded.account_number,
           excluded.account_name, excluded.voucher_id, excluded.voucher_number,
           excluded.row_number, excluded.description, excluded.amount_currency,
           excluded.currency)
    RETURNING 1
), deleted AS (
    DELETE FROM postings AS t
    WHERE t.org_id = $1 AND t.posting_date >= $2 AND t.posting_date < $3
      AND NOT EXISTS (SELECT 1 FROM src WHERE src.id = t.posting_id)
    RETURNING 1
)
SELECT (SELECT count(*) FROM src) AS total,
       (SELECT count(*) FROM upserted) AS written,
       (SELECT count(*) FROM deleted) AS deleted;

-- name: chunk_finish
-- Mark a chunk done with its count, only while this worker still holds its lease.
UPDATE chunks
SET state = 'done', postings = $3, finished_at = now(), error = NULL,
    lease_owner = NULL, lease_until = NULL
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING org_id, year;

-- name: chunk_insert
-- Plan one chunk (idempotent: an existing chunk for the same range is kept); returns its id.
WITH inserted AS (
    INSERT INTO chunks (org_id, year, date_from, date_to, state, expected)
    VALUES ($1, $2, $3, $4, 'pending', $5)
    ON CONFLICT (org_id, date_from, date_to) DO NOTHING
    RETURNING id
)
SELECT id FROM inserted
UNION ALL
SELECT id FROM chunks WHERE org_id = $1 AND date_from = $3 AND date_to = $4
LIMIT 1;

-- name: chunk_claim
-- Lease a waiting chunk (or one whose lease ran out) for this delivery; nothing when it is taken.
UPDATE chunks
SET state = 'running', lease_owner = $2, lease_until = now() + make_interval(secs => $3),
    deliveries = deliveries + 1, started_at = coalesce(started_at, now())
WHERE id = $1
  AND (state IN ('pending', 'queued') OR (state = 'running' AND lease_until < now()))
RETURNING id, org_id, year, date_from, date_to, deliveries;

-- name: credentials_lock
-- An organization's credentials, locked so one worker at a time renews the session.
SELECT org_id, employee_token, session_token, session_expires, session_generation
FROM credentials WHERE org_id = $1 FOR UPDATE;

-- name: credentials_store_session
-- Keep a new (encrypted) session token.
UPDATE credentials
SET session_token = $2, session_expires = $3, session_generation = $4, updated_at = now()
WHERE org_id = $1;

-- name: credentials_store_owner
-- Remember whom the token belongs to (who-am-I).
UPDATE credentials
SET employee_id = $2, actual_employee_id = $3, token_company_id = $4, validated_at = now(),
    updated_at = now()
WHERE org_id = $1;

-- name: companies_clear
-- Forget the companies found earlier (discovery runs again).
DELETE FROM companies WHERE org_id = $1;

-- name: company_upsert
-- Remember one reachable company.
INSERT INTO companies (org_id, company_id, name, organization_number, customer_company_id, is_own)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, company_id) DO UPDATE SET
    name = excluded.name, organization_number = excluded.organization_number,
    customer_company_id = excluded.customer_company_id, is_own = excluded.is_own;

-- name: org_lock
-- Serialize changes to one organization's work (dispatching, settling).
SELECT id, state, company_id, cancel_requested FROM organizations WHERE id = $1 FOR UPDATE;

-- name: org_import_target
-- The company an organization imports, and whether it is the token's own (Basic username 0).
SELECT o.id, o.state, o.company_id, o.cancel_requested, coalesce(c.is_own, false) AS is_own
FROM organizations AS o
LEFT JOIN companies AS c ON c.org_id = o.id AND c.company_id = o.company_id
WHERE o.id = $1;

-- name: year_start
-- Start (or restart) a year's import.
INSERT INTO sync_years (org_id, year, state, expected)
VALUES ($1, $2, 'importing', $3)
ON CONFLICT (org_id, year) DO UPDATE SET
    state = 'importing', expected = coalesce(excluded.expected, sync_years.expected),
    difference = NULL, started_at = now(), finished_at = NULL;

-- name: year_has_chunks
-- Whether a year was planned before.
SELECT EXISTS (SELECT 1 FROM chunks WHERE org_id = $1 AND year = $2);

-- name: year_requeue_chunks
-- Import a planned year again: every leaf chunk not running goes back to pending.
UPDATE chunks
SET state = 'pending', error = NULL, attempts = 0
WHERE org_id = $1 AND year = $2 AND state IN ('done', 'failed', 'pending', 'queued');

-- name: year_finish_empty
-- A year with no postings is synced at once.
UPDATE sync_years SET state = 'synced', expected = 0, finished_at = now()
WHERE org_id = $1 AND year = $2;

-- name: chunks_dispatch
-- Move pending chunks to queued, keeping at most $2 queued or running for the organization.
WITH busy AS (
    SELECT count(*) AS n FROM chunks WHERE org_id = $1 AND state IN ('queued', 'running')
), picked AS (
    SELECT id FROM chunks
    WHERE org_id = $1 AND state = 'pending'
    ORDER BY year DESC, date_from
    LIMIT greatest(0, $2 - (SELECT n FROM busy))
)
UPDATE chunks SET state = 'queued', queued_at = now()
WHERE id IN (SELECT id FROM picked)
RETURNING id;

-- name: chunk_split
-- A chunk too large for one query is replaced by its halves (inserted separately).
UPDATE chunks
SET state = 'split', lease_owner = NULL, lease_until = NULL, finished_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING org_id, year;

-- name: chunk_fail
-- A chunk that cannot succeed as it stands.
UPDATE chunks
SET state = 'failed', error = $3, lease_owner = NULL, lease_until = NULL, finished_at = now()
WHERE id = $1 AND lease_owner = $2;

-- name: year_close_if_done
-- When no chunk of the year is open any more, move it to reconciling (once); while it
-- reconciles, finished_at says since when (the scheduler sends a lost reconciliation again).
UPDATE sync_years AS y SET state = 'reconciling', finished_at = now()
WHERE y.org_id = $1 AND y.year = $2 AND y.state = 'importing'
  AND NOT EXISTS (
      SELECT 1 FROM chunks AS c
      WHERE c.org_id = $1 AND c.year = $2 AND c.state IN ('pending', 'queued', 'running'))
RETURNING (SELECT count(*) FROM chunks AS c
           WHERE c.org_id = $1 AND c.year = $2 AND c.state = 'failed') AS failed_chunks;

-- name: year_by_key
-- One year's row.
SELECT org_id, year, state, expected, reconcile_attempts, difference
FROM sync_years WHERE org_id = $1 AND year = $2;

-- name: year_retry_after_mismatch
-- A reconciliation mismatch imports the year once more (only the first time).
UPDATE sync_years
SET state = 'importing', reconcile_attempts = reconcile_attempts + 1, difference = $3
WHERE org_id = $1 AND year = $2 AND state = 'reconciling' AND reconcile_attempts = 0
RETURNING year;

-- name: year_settle
-- A year ends synced, or failed with what differs.
UPDATE sync_years SET state = $3, difference = $4, finished_at = now()
WHERE org_id = $1 AND year = $2 AND state = 'reconciling';

-- name: postings_account_sums
-- The database's sum per account number for a date range.
SELECT account_number, sum(amount) AS total
FROM postings
WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3
GROUP BY account_number;

-- name: org_years_summary
-- How many years are in each state, to settle the organization's state.
SELECT count(*) FILTER (WHERE state IN ('importing', 'reconciling')) AS open,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) AS total
FROM sync_years WHERE org_id = $1;

-- name: chunk_release
-- Give a chunk back untouched (to be picked up again later).
UPDATE chunks SET state = 'pending', lease_owner = NULL, lease_until = NULL
WHERE id = $1 AND lease_owner = $2;

-- name: chunk_hand_back
-- A worker gives back a chunk it holds unfinished (it failed, or is stopping): queued, for the
-- job's retry or the message sent again to lease at once; the lease's expiry is the last resort.
UPDATE chunks
SET state = 'queued', lease_owner = NULL, lease_until = NULL, queued_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING id;

-- name: orgs_by_state
-- How many organizations are in each state.
SELECT state, count(*) AS count FROM organizations GROUP BY state ORDER BY state;

-- name: orgs_due_for_sync
-- Synced organizations whose next re-sync is due ($1 seconds apart); claims them for this tick.
UPDATE organizations
SET next_sync_at = now() + make_interval(secs => $1)
WHERE state = 'synced'
  AND coalesce(next_sync_at, updated_at + make_interval(secs => $1)) <= now()
RETURNING id;

-- name: chunks_lost
-- Chunks whose message may be lost: queued too long ($1 s), or running past their lease.
UPDATE chunks SET queued_at = now()
WHERE (state = 'queued' AND queued_at < now() - make_interval(secs => $1))
   OR (state = 'running' AND lease_until < now())
RETURNING id;

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

-- name: years_plan_lost
-- Years importing for longer than $1 s without a single chunk: planning died or its message was
-- lost. Claimed for this tick (planning restarts the year's clock anyway).
UPDATE sync_years AS y SET started_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing' AND NOT o.cancel_requested
  AND y.state = 'importing' AND y.started_at < now() - make_interval(secs => $1)
  AND NOT EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = y.org_id AND c.year = y.year)
RETURNING y.org_id, y.year;

-- name: years_close_lost
-- Years importing for longer than $1 s whose chunks are all finished, never closed (the worker
-- that finished the last one died first): moved to reconciling, once, as year_close_if_done does.
UPDATE sync_years AS y SET state = 'reconciling', finished_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing'
  AND y.state = 'importing' AND y.started_at < now() - make_interval(secs => $1)
  AND EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = y.org_id AND c.year = y.year)
  AND NOT EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = y.org_id AND c.year = y.year
                  AND c.state IN ('pending', 'queued', 'running'))
RETURNING y.org_id, y.year;

-- name: years_reconcile_lost
-- Years reconciling for longer than $1 s: their message may be lost. Claimed for this tick.
UPDATE sync_years AS y SET finished_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing' AND y.state = 'reconciling'
  AND coalesce(y.finished_at, y.started_at) < now() - make_interval(secs => $1)
RETURNING y.org_id, y.year;

-- name: orgs_dispatch_stalled
-- Organizations syncing with chunks waiting to be sent and none queued or running: nothing
-- would ever send them (the worker that was to dispatch them died or lost its connection).
SELECT o.id FROM organizations AS o
WHERE o.state = 'syncing' AND NOT o.cancel_requested
  AND EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = o.id AND c.state = 'pending')
  AND NOT EXISTS (SELECT 1 FROM chunks AS c
                  WHERE c.org_id = o.id AND c.state IN ('queued', 'running'));

-- name: check_run_insert
-- Store one run of the troubleshooting checks (results: a JSON list in run order).
INSERT INTO check_runs (org_id, triggered_by, first_failure, results)
VALUES ($1, $2, $3, $4)
RETURNING id, org_id, ran_at, triggered_by, first_failure, results;

-- name: check_run_last
-- The last run of an organization's troubleshooting checks.
SELECT id, org_id, ran_at, triggered_by, first_failure, results
FROM check_runs WHERE org_id = $1
ORDER BY ran_at DESC, id DESC LIMIT 1;

-- name: check_run_recent_failure
-- The last failing run an access error triggered within the last $2 seconds, to reuse it.
SELECT id, org_id, ran_at, triggered_by, first_failure, results
FROM check_runs
WHERE org_id = $1 AND triggered_by = 'access_error' AND first_failure IS NOT NULL
  AND ran_at > now() - make_interval(secs => $2)
ORDER BY ran_at DESC, id DESC LIMIT 1;
