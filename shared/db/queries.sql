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

-- name: credentials_insert
-- Store an organization's encrypted employee token.
INSERT INTO credentials (org_id, employee_token, token_fingerprint) VALUES ($1, $2, $3);

-- name: credentials_replace_token
-- Replace the employee token; the old session and who-owns-it are forgotten.
UPDATE credentials
SET employee_token = $2, token_fingerprint = $3, session_token = NULL, session_expires = NULL,
    session_generation = session_generation + 1, employee_id = NULL,
    actual_employee_id = NULL, token_company_id = NULL, validated_at = NULL, updated_at = now()
WHERE org_id = $1;

-- name: credentials_unfingerprinted
-- Stored tokens without a fingerprint yet (stored before fingerprints were).
SELECT org_id, employee_token FROM credentials WHERE token_fingerprint IS NULL ORDER BY org_id;

-- name: credentials_set_fingerprint
-- A stored token's fingerprint, unless the token was replaced (and fingerprinted) meanwhile.
UPDATE credentials SET token_fingerprint = $3
WHERE org_id = $1 AND employee_token = $2 AND token_fingerprint IS NULL;

-- name: credentials_by_org
-- An organization's credentials (encrypted).
SELECT org_id, employee_token, token_fingerprint, session_token, session_expires,
       session_generation, employee_id, actual_employee_id, token_company_id, validated_at
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
-- Per-year progress of an organization, newest year first (the view `year_progress` says what
-- each figure is). Tripletex tells no totals, so what is knowable is shown: `expected` (the last
-- import's count, NULL before one), the postings the year holds (`imported`, of which `kept` wait
-- to be imported again), the days whose chunks are done of the year's days, and `open_from`, the
-- first day not yet imported (the year is complete up to the day before).
SELECT year, state, expected, difference, listed, proven, proof_note, imported, kept, weighted,
       since_s, left_known, days_left, density_lo, density_hi, chunks_total, chunks_done,
       chunks_failed, days_done, days_total, open_from
FROM year_progress
WHERE org_id = $1
ORDER BY year DESC;

-- name: org_delete
-- Remove an organization and, by cascade, all its data.
DELETE FROM organizations WHERE id = $1;

-- name: audit_insert
-- Record an action that changed something.
INSERT INTO audit_log (actor, action, org_id, detail) VALUES ($1, $2, $3, $4);

-- name: chunk_plan_custom
-- For the rest of the transaction, plan each statement for its own parameters (see write_chunk).
SET LOCAL plan_cache_mode = force_custom_plan;

-- name: chunk_stage_create
-- A staging table for one chunk's raw API pages, gone at commit.
CREATE TEMP TABLE staged_pages (page bytea NOT NULL) ON COMMIT DROP;

-- name: chunk_merge
-- Make the chunk's scope (dates [$2, $3), accounts [$4, $5) where given) hold exactly the staged
-- postings: upsert, delete the missing, count. Postings outside the scope are left out (an API
-- that reads accountNumberTo inclusively sends one account more).
-- Postgres unpacks the raw page JSON (UTF-8 bytes as received), so amounts go from JSON text to
-- numeric exactly, and a page that is not whole JSON fails the chunk's transaction.
WITH src AS (
    SELECT DISTINCT ON (p.id)
           p.id, p.date, p.amount, p.description, p."row", p."amountCurrency",
           p.currency ->> 'code' AS currency, p.account, p.voucher
    FROM staged_pages AS s,
         jsonb_to_recordset(convert_from(s.page, 'UTF8')::jsonb -> 'values') AS p(
             id bigint, date date, amount numeric, description text, "row" integer,
             "amountCurrency" numeric, currency jsonb, account jsonb, voucher jsonb)
    WHERE p.date >= $2 AND p.date < $3
      AND ($4::bigint IS NULL OR (p.account ->> 'number')::bigint >= $4)
      AND ($5::bigint IS NULL OR (p.account ->> 'number')::bigint < $5)
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
      AND ($4::bigint IS NULL OR nullif(t.account_number, '')::bigint >= $4)
      AND ($5::bigint IS NULL OR nullif(t.account_number, '')::bigint < $5)
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
-- Plan one chunk (idempotent: an existing chunk for the same scope is kept); returns its id.
-- $6/$7: the account-number range [from, to) of a one-day chunk split further, else NULL.
WITH inserted AS (
    INSERT INTO chunks (org_id, year, date_from, date_to, state, expected,
                        account_from, account_to)
    VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)
    ON CONFLICT ON CONSTRAINT chunks_scope_key DO NOTHING
    RETURNING id
)
SELECT id FROM inserted
UNION ALL
SELECT id FROM chunks
WHERE org_id = $1 AND date_from = $3 AND date_to = $4
  AND account_from IS NOT DISTINCT FROM $6::bigint AND account_to IS NOT DISTINCT FROM $7::bigint
LIMIT 1;

-- name: chunk_claim
-- Lease a waiting chunk (or one whose lease ran out, or whose worker $4 no longer is among the
-- workers alive in Redis, $5; NULL: not known) for this delivery; nothing when it is taken.
-- A chunk whose last worker died holding it is taken only while no other such chunk runs: one
-- that kills every worker then dies alone, and those that merely died beside it get through.
UPDATE chunks
SET state = 'running', lease_owner = $2, lease_until = now() + make_interval(secs => $3),
    lease_worker = $4, deliveries = deliveries + 1, started_at = coalesce(started_at, now()),
    abandoned = CASE WHEN state = 'running' THEN abandoned + 1 ELSE 0 END
WHERE id = $1
  AND (state IN ('pending', 'queued')
       OR (state = 'running'
           AND (lease_until < now()
                OR (lease_worker IS NOT NULL AND $5::text[] IS NOT NULL
                    AND NOT lease_worker = any($5::text[])))
           AND NOT EXISTS (SELECT 1 FROM chunks AS other
                           WHERE other.state = 'running' AND other.abandoned > 0
                             AND other.lease_until >= now() AND other.id <> $1)))
RETURNING id, org_id, year, date_from, date_to, account_from, account_to, deliveries, abandoned;

-- name: chunk_done_key
-- A chunk already imported: its organization and year (a redelivery runs what follows it again).
SELECT org_id, year FROM chunks WHERE id = $1 AND state = 'done';

-- name: chunk_awaits_takeover
-- Whether the chunk is held by a worker no longer among those alive ($2; NULL: not known), and
-- so waits only for its turn to be taken over (chunk_claim takes one such chunk at a time).
SELECT EXISTS (
    SELECT 1 FROM chunks
    WHERE id = $1 AND state = 'running' AND lease_until >= now() AND lease_worker IS NOT NULL
      AND $2::text[] IS NOT NULL AND NOT lease_worker = any($2::text[])
);

-- name: credentials_lock
-- An organization's credentials, locked so one worker at a time renews the session.
SELECT org_id, employee_token, token_fingerprint, session_token, session_expires,
       session_generation
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

-- name: year_start
-- Start (or restart) a year's import; $4: whether `ledger/annualAccount` lists it (NULL: unknown).
-- `expected` stays the last import's count: Tripletex tells no totals in advance.
INSERT INTO sync_years (org_id, year, state, expected, listed)
VALUES ($1, $2, 'importing', $3, $4)
ON CONFLICT (org_id, year) DO UPDATE SET
    state = 'importing', expected = coalesce(excluded.expected, sync_years.expected),
    listed = coalesce(excluded.listed, sync_years.listed),
    difference = NULL, proven = NULL, proof_note = NULL, started_at = now(), finished_at = NULL;

-- name: year_has_chunks
-- Whether a year was planned before.
SELECT EXISTS (SELECT 1 FROM chunks WHERE org_id = $1 AND year = $2);

-- name: year_requeue_chunks
-- Import a planned year again: every leaf chunk not running goes back to pending.
UPDATE chunks
SET state = 'pending', error = NULL, attempts = 0
WHERE org_id = $1 AND year = $2 AND state IN ('done', 'failed', 'pending', 'queued');

-- name: chunks_dispatch
-- Move pending chunks to queued, keeping at most $2 queued or running for the organization.
WITH busy AS (
    SELECT count(*) AS n FROM chunks WHERE org_id = $1 AND state IN ('queued', 'running')
), picked AS (
    SELECT id FROM chunks
    WHERE org_id = $1 AND state = 'pending'
    ORDER BY year DESC, date_from, account_from NULLS FIRST
    LIMIT greatest(0, $2 - (SELECT n FROM busy))
)
UPDATE chunks SET state = 'queued', queued_at = now()
WHERE id IN (SELECT id FROM picked)
RETURNING id;

-- name: chunk_hold
-- A year planned whole on a first sync waits (held) until another year of the organization has
-- been imported: its ranges are then planned like that one's (see dispatch_pending).
UPDATE chunks SET state = 'held' WHERE id = $1 AND state = 'pending';

-- name: chunks_held_idle
-- An organization's held chunks, when nothing else of it waits or runs (else none).
SELECT id, year, date_from, date_to FROM chunks AS c
WHERE c.org_id = $1 AND c.state = 'held'
  AND NOT EXISTS (SELECT 1 FROM chunks AS o
                  WHERE o.org_id = $1 AND o.state IN ('pending', 'queued', 'running'))
ORDER BY year DESC;

-- name: chunk_unhold
-- A held chunk is asked for as it stands ($2 'pending'), or replaced by its parts ($2 'split').
UPDATE chunks SET state = $2, finished_at = CASE WHEN $2 = 'split' THEN now() END
WHERE id = $1 AND state = 'held';

-- name: density_reference_year
-- The newest year of an organization whose chunks are all imported and hold postings: the
-- pattern for the rest.
SELECT year FROM chunks WHERE org_id = $1
GROUP BY year
HAVING bool_and(state IN ('done', 'split')) AND coalesce(sum(postings), 0) > 0
ORDER BY year DESC LIMIT 1;

-- name: postings_per_day
-- Postings per day of an organization in [$2, $3); and, for days above $4, per account number.
SELECT posting_date, NULL::bigint AS account, count(*) AS n
FROM postings WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3
GROUP BY posting_date
UNION ALL
SELECT p.posting_date, nullif(p.account_number, '')::bigint, count(*)
FROM postings AS p
WHERE p.org_id = $1 AND p.posting_date IN (
    SELECT posting_date FROM postings
    WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3
    GROUP BY posting_date HAVING count(*) > $4)
GROUP BY p.posting_date, 2;

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
      WHERE c.org_id = $1 AND c.year = $2 AND c.state IN ('pending', 'queued', 'running', 'held'))
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

-- name: year_imported
-- How many postings a year's finished chunks hold.
SELECT coalesce(sum(postings), 0)::bigint FROM chunks
WHERE org_id = $1 AND year = $2 AND state = 'done';

-- name: year_settle
-- A year ends synced, or failed with what differs; $5: proven by the API's own sums (false: they
-- could not be read, $6 says why). `expected` becomes this import's count, for the next one.
UPDATE sync_years AS y
SET state = $3, difference = $4, finished_at = now(), proven = $5, proof_note = $6,
    expected = (SELECT coalesce(sum(c.postings), 0) FROM chunks AS c
                WHERE c.org_id = $1 AND c.year = $2 AND c.state = 'done')
WHERE y.org_id = $1 AND y.year = $2 AND y.state = 'reconciling';

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
-- Synced API organizations whose next re-sync is due ($1 s apart); claims them for this tick.
-- (SAF-T organizations change only when a new file is imported.)
UPDATE organizations
SET next_sync_at = now() + make_interval(secs => $1), plan_requested_at = now()
WHERE state = 'synced' AND method = 'api'
  AND coalesce(next_sync_at, updated_at + make_interval(secs => $1)) <= now()
RETURNING id;

-- name: chunks_lost
-- Chunks whose message may be lost: queued too long ($1 s), or running past their lease.
-- Rows a worker holds locked right now are skipped: they are not lost, and waiting for them in
-- another order than the worker's could deadlock.
UPDATE chunks SET queued_at = now()
WHERE id IN (
    SELECT id FROM chunks
    WHERE (state = 'queued' AND queued_at < now() - make_interval(secs => $1))
       OR (state = 'running' AND lease_until < now())
    ORDER BY id
    FOR UPDATE SKIP LOCKED)
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
                  AND c.state IN ('pending', 'queued', 'running', 'held'))
RETURNING y.org_id, y.year;

-- name: years_reconcile_lost
-- Years reconciling for longer than $1 s: their message may be lost. Claimed for this tick.
UPDATE sync_years AS y SET finished_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing' AND y.state = 'reconciling'
  AND coalesce(y.finished_at, y.started_at) < now() - make_interval(secs => $1)
RETURNING y.org_id, y.year;

-- name: orgs_dispatch_stalled
-- Organizations syncing with chunks waiting to be sent (or held) and none queued or running:
-- nothing would ever send them (the worker that was to dispatch them died or lost its connection).
SELECT o.id FROM organizations AS o
WHERE o.state = 'syncing' AND NOT o.cancel_requested
  AND EXISTS (SELECT 1 FROM chunks AS c
              WHERE c.org_id = o.id AND c.state IN ('pending', 'held'))
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

-- name: saft_import_same
-- An import of the same content for the organization that is open, or done and still current
-- (no later import of an overlapping period replaced it): submitting the file again is a no-op.
SELECT i.id, i.state
FROM saft_imports AS i
WHERE i.org_id = $1 AND i.sha256 = $2
  AND (i.state IN ('queued', 'running')
       OR (i.state = 'done' AND NOT EXISTS (
           SELECT 1 FROM saft_imports AS later
           WHERE later.org_id = i.org_id AND later.state = 'done' AND later.id > i.id
             AND later.period_start <= i.period_end AND later.period_end >= i.period_start)))
ORDER BY i.id DESC LIMIT 1;

-- name: saft_org_settle_current
-- A SAF-T organization whose current file was submitted again is synced, unless it is busy.
UPDATE organizations
SET state = 'synced', state_reason = NULL, updated_at = now()
WHERE id = $1 AND state = 'needs_attention'
  AND NOT EXISTS (SELECT 1 FROM saft_imports
                  WHERE org_id = $1 AND state IN ('queued', 'running'));

-- name: saft_import_insert
-- Record a submitted file (its copies already in place); returns its id.
INSERT INTO saft_imports (org_id, file_name, files, sha256, bytes_total, submitted_by)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id;

-- name: saft_import_get
-- One import, as the command line and the terminal UI show it.
SELECT i.id, i.org_id, o.name AS org_name, i.file_name, i.files, i.sha256, i.state,
       i.bytes_total, i.bytes_read, i.transactions_read, i.postings_read, i.years, i.version,
       i.org_number, i.company_name, i.currency, i.period_start, i.period_end,
       i.total_debit, i.total_credit, i.postings_replaced, i.warnings, i.error, i.error_kind,
       i.attempts, i.submitted_by,
       i.created_at, i.started_at, i.finished_at, i.updated_at
FROM saft_imports AS i JOIN organizations AS o ON o.id = i.org_id
WHERE i.id = $1;

-- name: saft_imports_by_org
-- An organization's imports, newest first.
SELECT id, file_name, state, bytes_total, bytes_read, transactions_read, postings_read,
       period_start, period_end, total_debit, total_credit, error, created_at, finished_at
FROM saft_imports WHERE org_id = $1 ORDER BY id DESC;

-- name: saft_import_claim
-- Lease a waiting import (or one whose lease ran out, or whose worker is no longer among the
-- workers alive in Redis, $5; NULL: not known) for this delivery of worker $4; nothing when
-- taken. Taking one over from a worker that died holding it counts a death.
UPDATE saft_imports
SET state = 'running', lease_owner = $2, lease_until = now() + make_interval(secs => $3),
    lease_worker = $4, attempts = attempts + 1, started_at = now(), updated_at = now(),
    deaths = deaths + CASE WHEN state = 'running' THEN 1 ELSE 0 END,
    bytes_read = 0, transactions_read = 0, postings_read = 0, years = '{}'::jsonb
WHERE id = $1
  AND (state = 'queued'
       OR (state = 'running'
           AND (lease_until < now()
                OR (lease_worker IS NOT NULL AND $5::text[] IS NOT NULL
                    AND NOT lease_worker = any($5::text[])))))
RETURNING id, org_id, file_name, files, sha256, bytes_total, attempts, deaths;

-- name: saft_import_progress
-- How far the reading got; extends the lease. Nothing returned when the lease was lost.
UPDATE saft_imports
SET bytes_read = $3, transactions_read = $4, postings_read = $5, years = $6,
    lease_until = now() + make_interval(secs => $7), updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING id;

-- name: saft_import_finish
-- The import is done: what was read and replaced, and the warnings. Nothing when lease lost.
-- (Its transaction began when the reading did: the clock, not now(), says when it ended.)
UPDATE saft_imports
SET state = 'done', bytes_read = bytes_total, transactions_read = $3, postings_read = $4,
    years = $5, version = $6, org_number = $7, company_name = $8, currency = $9,
    period_start = $10, period_end = $11, postings_replaced = $12, warnings = $13,
    total_debit = $14, total_credit = $15,
    error = NULL, error_kind = NULL, lease_owner = NULL, lease_until = NULL,
    finished_at = clock_timestamp(), updated_at = clock_timestamp()
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING id;

-- name: saft_import_fail
-- The import ends refused ('invalid') or failed, with the sentence and its kind.
UPDATE saft_imports
SET state = $3, error = $4, error_kind = $5, lease_owner = NULL, lease_until = NULL,
    finished_at = now(), updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING id;

-- name: saft_import_defer
-- Give an import back untried (another import of the organization is running).
UPDATE saft_imports
SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL,
    updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running';

-- name: saft_org_lock
-- One import per organization at a time: a lock held until the transaction ends (or not got).
SELECT pg_try_advisory_xact_lock(72120446, $1::int);

-- name: saft_import_release
-- Give an import back after an unexpected error, to be tried again.
UPDATE saft_imports
SET state = 'queued', error = $3, lease_owner = NULL, lease_until = NULL, updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running';

-- name: saft_imports_open_other
-- Other imports of the organization still waiting or running.
SELECT count(*) FROM saft_imports
WHERE org_id = $1 AND id <> $2 AND state IN ('queued', 'running');

-- name: saft_imports_lost
-- Imports whose message may be lost: queued too long ($1 s), or running past their lease.
UPDATE saft_imports SET updated_at = now()
WHERE (state = 'queued' AND updated_at < now() - make_interval(secs => $1))
   OR (state = 'running' AND lease_until < now())
RETURNING id;

-- name: saft_stage_create
-- The staging table each batch of an import's lines is copied into, gone at commit.
CREATE TEMP TABLE saft_staged (
    ordinal          bigint NOT NULL,
    voucher          bigint NOT NULL,
    posting_date     date NOT NULL,
    -- amounts as text (Postgres reads them exactly; half the COPY's cost of binary numerics)
    amount           text NOT NULL,
    account_number   text NOT NULL,
    account_name     text,
    voucher_number   text NOT NULL,
    row_number       integer NOT NULL,
    description      text,
    -- NULL for a line in the file's default currency
    amount_currency  text,
    currency         text,
    source_line      integer NOT NULL
) ON COMMIT DROP;

-- name: saft_vouchers_create
-- Every transaction of an import (id, position, line), to find a TransactionID used twice.
CREATE TEMP TABLE saft_vouchers (
    voucher_number  text NOT NULL,
    voucher         bigint NOT NULL,
    source_line     integer NOT NULL
) ON COMMIT DROP;

-- name: saft_replace_block
-- Delete the organization's postings with ids in [$2, $3) (an earlier import of the same
-- period's lines at these positions); the years they were in, with how many went.
WITH gone AS (
    DELETE FROM postings WHERE org_id = $1 AND posting_id >= $2 AND posting_id < $3
    RETURNING posting_date
)
SELECT extract(year FROM posting_date)::int AS year, count(*) AS count FROM gone GROUP BY 1;

-- name: saft_replace_dates
-- Delete the organization's postings dated in [$4, $5] that are not in this import's block
-- [$2, $3): what other imports held for the period; the years, with how many went.
WITH gone AS (
    DELETE FROM postings
    WHERE org_id = $1 AND posting_date >= $4 AND posting_date <= $5
      AND NOT (posting_id >= $2 AND posting_id < $3)
    RETURNING posting_date
)
SELECT extract(year FROM posting_date)::int AS year, count(*) AS count FROM gone GROUP BY 1;

-- name: saft_insert_staged
-- Store the staged batch: ids are the period's block ($2) plus the line's or voucher's position;
-- a line without a currency of its own is in the file's default currency ($3).
INSERT INTO postings (org_id, posting_id, posting_date, amount, account_number, account_name,
                      voucher_id, voucher_number, row_number, description, amount_currency,
                      currency)
SELECT $1, $2 + ordinal, posting_date, amount::numeric, account_number, account_name,
       $2 + voucher, voucher_number, row_number, description,
       coalesce(amount_currency, amount)::numeric, coalesce(currency, $3)
FROM saft_staged;

-- name: saft_keep_vouchers
-- Remember the staged batch's transactions (their first lines) for the duplicate check.
INSERT INTO saft_vouchers (voucher_number, voucher, source_line)
SELECT voucher_number, voucher, source_line FROM saft_staged WHERE row_number = 1;

-- name: saft_stage_clear
-- Empty the staging table for the next batch.
TRUNCATE saft_staged;

-- name: saft_staged_duplicate
-- A TransactionID used by more than one transaction of the import.
SELECT voucher_number FROM saft_vouchers
GROUP BY voucher_number HAVING count(*) > 1
ORDER BY max(voucher) LIMIT 1;

-- name: saft_staged_occurrences
-- The first two transactions using a TransactionID: their position and line.
SELECT voucher, source_line FROM saft_vouchers
WHERE voucher_number = $1
ORDER BY voucher LIMIT 2;

-- name: saft_year_counts
-- Per year: the organization's postings, and those in the block [$3, $4).
SELECT y.year, count(p.posting_id) AS total,
       count(p.posting_id) FILTER (WHERE p.posting_id >= $3 AND p.posting_id < $4) AS mine
FROM unnest($2::int[]) AS y(year)
LEFT JOIN postings AS p
       ON p.org_id = $1 AND p.posting_date >= make_date(y.year, 1, 1)
      AND p.posting_date < make_date(y.year + 1, 1, 1)
GROUP BY y.year ORDER BY y.year;

-- name: saft_year_settle
-- A year imported from a SAF-T file: what the sources hold and what is stored.
INSERT INTO sync_years (org_id, year, state, expected, imported, started_at, finished_at)
VALUES ($1, $2, 'synced', $3, $4, now(), now())
ON CONFLICT (org_id, year) DO UPDATE SET
    state = 'synced', expected = excluded.expected, imported = excluded.imported,
    difference = NULL, finished_at = now();

-- name: org_set_company_from_file
-- A SAF-T organization's company, as its file's header names it (no Tripletex id).
UPDATE organizations
SET company_name = $2, company_org_number = $3, updated_at = now()
WHERE id = $1;

-- name: chunk_release_after_error
-- An attempt failed: give the chunk back for its retry (queued: the retry's message is coming).
UPDATE chunks
SET state = 'queued', error = $3, attempts = attempts + 1, lease_owner = NULL,
    lease_until = NULL, queued_at = now()
WHERE id = $1 AND lease_owner = $2 AND state = 'running'
RETURNING id;

-- name: chunk_fail_stopped
-- A chunk's job stopped for good: the chunk fails with its error (unless another took it since).
UPDATE chunks
SET state = 'failed', error = $2, lease_owner = NULL, lease_until = NULL, finished_at = now()
WHERE id = $1 AND state = 'queued'
RETURNING org_id, year;

-- name: job_record_failure
-- One failed attempt: create the job's unresolved row or update it; returns id and attempt number.
INSERT INTO jobs AS j (actor, args, org_id, year, chunk_id, message_id, state, attempts,
                       error_class, error, traceback, stop_reason)
SELECT $1, $2, (SELECT id FROM organizations WHERE id = coalesce($3, c.org_id)),
       coalesce($4, c.year), c.id, $6, $7, 1, $8, $9, $10, $11
FROM (SELECT NULL) AS one
LEFT JOIN chunks AS c ON c.id = $5
ON CONFLICT (actor, args) WHERE state <> 'resolved' DO UPDATE SET
    message_id = excluded.message_id, state = excluded.state, attempts = j.attempts + 1,
    error_class = excluded.error_class, error = excluded.error, traceback = excluded.traceback,
    stop_reason = excluded.stop_reason, last_failed_at = now(), updated_at = now(),
    next_retry_at = NULL
RETURNING id, attempts, org_id, year, chunk_id;

-- name: job_set_next_retry
-- The retry policy retries the job in $2 milliseconds (Dramatiq's delay on the message it enqueues).
UPDATE jobs SET next_retry_at = now() + make_interval(secs => $2::float8 / 1000) WHERE id = $1;

-- name: job_attempt_insert
-- Keep one failed attempt of a job.
INSERT INTO job_attempts (job_id, attempt, message_id, error_class, error, traceback, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: job_resolve
-- A job succeeded: its unresolved row is resolved (a chunk's only once the chunk is done).
UPDATE jobs AS j SET state = 'resolved', stop_reason = NULL, resolved_at = now(),
    updated_at = now(), next_retry_at = NULL
WHERE j.actor = $1 AND j.args = $2 AND j.state <> 'resolved'
  AND (j.chunk_id IS NULL
       OR EXISTS (SELECT 1 FROM chunks AS c
                  WHERE c.id = j.chunk_id AND c.state IN ('done', 'split')))
RETURNING id, actor, message_id;

-- name: jobs_list
-- Jobs, last failed first: in any of the states $1 (NULL: all), of one organization ($2) or all;
-- a chunk's job with the chunk's dates [from, to) and account range.
SELECT j.id, j.actor, j.args, j.org_id, o.name AS org_name, j.year, j.chunk_id, j.message_id,
       j.state, j.attempts, j.error_class, j.error, j.traceback, j.stop_reason,
       j.first_failed_at, j.last_failed_at, j.updated_at, j.resolved_at, j.next_retry_at,
       c.date_from AS chunk_from, c.date_to AS chunk_to, c.account_from AS chunk_account_from,
       c.account_to AS chunk_account_to
FROM jobs AS j
LEFT JOIN organizations AS o ON o.id = j.org_id
LEFT JOIN chunks AS c ON c.id = j.chunk_id
WHERE ($1::text[] IS NULL OR j.state = ANY ($1::text[]))
  AND ($2::bigint IS NULL OR j.org_id = $2)
ORDER BY j.last_failed_at DESC, j.id DESC
LIMIT $3;

-- name: job_by_id
-- One job.
SELECT j.id, j.actor, j.args, j.org_id, o.name AS org_name, j.year, j.chunk_id, j.message_id,
       j.state, j.attempts, j.error_class, j.error, j.traceback, j.stop_reason,
       j.first_failed_at, j.last_failed_at, j.updated_at, j.resolved_at, j.next_retry_at,
       c.date_from AS chunk_from, c.date_to AS chunk_to, c.account_from AS chunk_account_from,
       c.account_to AS chunk_account_to
FROM jobs AS j
LEFT JOIN organizations AS o ON o.id = j.org_id
LEFT JOIN chunks AS c ON c.id = j.chunk_id
WHERE j.id = $1;

-- name: job_lock
-- One job, locked while an operator retries it.
SELECT id, actor, args, org_id, year, chunk_id, state, message_id
FROM jobs WHERE id = $1 FOR UPDATE;

-- name: jobs_existing
-- Which of the ids $1 name a job.
SELECT id FROM jobs WHERE id = ANY ($1::bigint[]);

-- name: jobs_failed_ids
-- Every failed job, of one organization ($1) or all, oldest first, with why it stopped.
SELECT id, stop_reason FROM jobs
WHERE state = 'failed' AND ($1::bigint IS NULL OR org_id = $1) ORDER BY id;

-- name: job_attempts_by_job
-- A job's failed attempts, in order.
SELECT attempt, failed_at, message_id, error_class, error, traceback, outcome
FROM job_attempts WHERE job_id = $1 ORDER BY id;

-- name: job_mark_retrying
-- An operator retries a job: attempts start again from zero.
UPDATE jobs SET state = 'retrying', attempts = 0, stop_reason = NULL, updated_at = now(),
    next_retry_at = NULL
WHERE id = $1;

-- name: jobs_count_by_state
-- How many jobs are in each unresolved state.
SELECT state, count(*) AS count FROM jobs WHERE state <> 'resolved' GROUP BY state ORDER BY state;

-- name: jobs_stop_cancelled
-- An organization was cancelled: its jobs waiting for a retry stop (resume sends the work again).
UPDATE jobs SET state = 'failed', stop_reason = 'cancelled', updated_at = now(),
    next_retry_at = NULL
WHERE org_id = $1 AND state = 'retrying'
RETURNING id;

-- name: chunk_retry
-- An operator retries a chunk's job: the chunk waits for the message sent next.
UPDATE chunks
SET state = 'queued', error = NULL, attempts = 0, abandoned = 0, lease_owner = NULL,
    lease_until = NULL, finished_at = NULL, queued_at = now()
WHERE id = $1 AND state IN ('failed', 'pending', 'queued')
RETURNING org_id, year;

-- name: year_reopen
-- A year settled as failed imports again (a chunk of it is retried).
UPDATE sync_years SET state = 'importing', difference = NULL, finished_at = NULL
WHERE org_id = $1 AND year = $2 AND state IN ('failed', 'synced');

-- name: year_reopen_reconcile
-- A year whose reconciliation failed is reconciled again.
UPDATE sync_years SET state = 'reconciling', difference = NULL, finished_at = NULL
WHERE org_id = $1 AND year = $2 AND state IN ('failed', 'reconciling');

-- name: org_reopen
-- An organization works again (validating or syncing), unless an operator cancelled it.
UPDATE organizations SET state = $2, state_reason = NULL, updated_at = now()
WHERE id = $1 AND NOT cancel_requested;

-- name: year_fail
-- A year ends failed without reconciling (chunks of it failed for good).
UPDATE sync_years SET state = 'failed', difference = $3, finished_at = now()
WHERE org_id = $1 AND year = $2 AND state IN ('importing', 'reconciling');

-- name: chunks_stuck
-- Work that looks stuck: chunks running past their lease, or queued longer than $1 seconds.
SELECT c.id AS chunk_id, c.org_id, o.name AS org_name, c.year, c.state, c.date_from,
       c.date_to, c.deliveries, c.abandoned,
       CASE WHEN c.state = 'running' THEN c.lease_until ELSE c.queued_at END AS since
FROM chunks AS c
JOIN organizations AS o ON o.id = c.org_id
WHERE (c.state = 'running' AND c.lease_until < now())
   OR (c.state = 'queued' AND c.queued_at < now() - make_interval(secs => $1))
ORDER BY since
LIMIT $2;

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

-- name: years_open
-- An organization's years still importing or reconciling.
SELECT year, state FROM sync_years
WHERE org_id = $1 AND state IN ('importing', 'reconciling') ORDER BY year DESC;

-- name: org_has_years
-- Whether an organization's sync was ever planned.
SELECT EXISTS (SELECT 1 FROM sync_years WHERE org_id = $1);

-- name: org_attention_unless_settled
-- A job of the organization stopped for good: it needs attention (unless it does already).
UPDATE organizations
SET state = 'needs_attention', state_reason = $2, last_error = $2, updated_at = now()
WHERE id = $1 AND state NOT IN ('needs_attention', 'cancelled') AND NOT cancel_requested;

-- name: db_now
-- The database's clock (the UI shows ages against it, never against the viewer's).
SELECT now();

-- name: tui_org_rows
-- The terminal UI's home screen (and the fleet view): every organization with its years'
-- progress summed (the rate's weighted sum, and the seconds since its import started while it
-- syncs: tui/pace.py), failed chunks, the share of its running SAF-T file read so far, its last
-- change (`updated_at`: for one that waits on an operator, when it began to wait), its token's
-- fingerprint, and the database's clock.
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
       cr.token_fingerprint
FROM organizations AS o
LEFT JOIN org_progress AS y ON y.org_id = o.id
LEFT JOIN files AS f ON f.org_id = o.id
LEFT JOIN credentials AS cr ON cr.org_id = o.id
ORDER BY o.id;

-- name: tui_fleet_minutes
-- Postings imported in each of the last 60 minutes, for the fleet view: chunks done, by whole
-- minutes back from now (`ago` 0: the last 60 seconds). Minutes without any are left out.
SELECT floor(extract(epoch FROM now() - finished_at) / 60)::int AS ago,
       sum(postings)::bigint AS postings
FROM chunks
WHERE state = 'done' AND finished_at > now() - interval '60 minutes'
GROUP BY 1;

-- name: tui_org_row
-- One organization as `tui_org_rows` shows it, with its company and token fingerprint.
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

-- name: tui_timeline
-- What happened to an organization, newest first ($2 lines at most): actions (audit_log), the
-- token validated, check runs, years started and settled, failed chunks, chunks delivered again,
-- jobs failing or retrying, SAF-T files submitted and imported.
SELECT at, kind, actor, subject, note, detail FROM (
    SELECT a.at, 'action' AS kind, a.actor, a.action AS subject, NULL AS note, a.detail
    FROM audit_log AS a WHERE a.org_id = $1
    UNION ALL
    SELECT cr.validated_at, 'validated', NULL, NULL,
           (SELECT count(*) FROM companies WHERE org_id = $1)::text, NULL
    FROM credentials AS cr WHERE cr.org_id = $1 AND cr.validated_at IS NOT NULL
    UNION ALL
    SELECT r.ran_at, 'checks', r.triggered_by, r.first_failure, NULL, NULL
    FROM check_runs AS r WHERE r.org_id = $1
    UNION ALL
    SELECT y.started_at, 'year_started', NULL, y.year::text, y.expected::text, NULL
    FROM sync_years AS y WHERE y.org_id = $1
    UNION ALL
    SELECT y.finished_at, 'year_' || y.state, NULL, y.year::text, y.difference, NULL
    FROM sync_years AS y WHERE y.org_id = $1 AND y.finished_at IS NOT NULL
    UNION ALL
    SELECT c.finished_at, 'chunk_failed', NULL, c.date_from || ' – ' || c.date_to, c.error, NULL
    FROM chunks AS c WHERE c.org_id = $1 AND c.state = 'failed' AND c.finished_at IS NOT NULL
    UNION ALL
    SELECT coalesce(c.finished_at, c.started_at), 'chunk_redelivered', NULL,
           c.date_from || ' – ' || c.date_to, c.deliveries::text, NULL
    FROM chunks AS c WHERE c.org_id = $1 AND c.deliveries > 1 AND c.started_at IS NOT NULL
    UNION ALL
    SELECT j.last_failed_at, 'job_' || j.state, j.actor, j.error_class, j.error,
           jsonb_build_object('job_id', j.id, 'attempts', j.attempts, 'year', j.year)
    FROM jobs AS j WHERE j.org_id = $1 AND j.state <> 'resolved'
    UNION ALL
    SELECT coalesce(s.finished_at, s.started_at, s.created_at), 'saft_' || s.state,
           s.submitted_by, s.file_name, coalesce(s.error, s.postings_read::text), NULL
    FROM saft_imports AS s WHERE s.org_id = $1
) AS events
ORDER BY at DESC
LIMIT $2;

-- name: outbox_stage
-- Stage a message in the caller's transaction (one already waiting is kept); its id, or none.
INSERT INTO outbox (actor, args) VALUES ($1, $2)
ON CONFLICT (actor, args) DO NOTHING
RETURNING id;

-- name: outbox_claim
-- Committed messages to send now: those of the ids $1, or ($1 NULL) all staged more than $2 s
-- ago, oldest first, at most $3; locked, skipping those another relay is sending.
SELECT id, actor, args FROM outbox
WHERE CASE WHEN $1::bigint[] IS NULL
           THEN created_at < now() - make_interval(secs => $2)
           ELSE id = any($1::bigint[]) END
ORDER BY id
LIMIT $3
FOR UPDATE SKIP LOCKED;

-- name: outbox_delete
-- Messages sent: gone from the outbox.
DELETE FROM outbox WHERE id = any($1::bigint[]);

-- name: outbox_waiting
-- How many messages wait in the outbox, and the age of the oldest in seconds.
SELECT count(*) AS waiting,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_s
FROM outbox;

-- name: plan_lock
-- Wait for the organization's planning lock (held by this session until plan_unlock or its end).
SELECT pg_advisory_lock(7001, $1::int);

-- name: plan_unlock
-- Release the organization's planning lock.
SELECT pg_advisory_unlock(7001, $1::int);

-- name: plan_covered
-- Whether the last plan requested is done: a completed plan started after it was requested and
-- covered the year asked for ($2; NULL: every year). Never requested: not covered.
SELECT coalesce(
    planned_at >= plan_requested_at
    AND (planned_year IS NULL OR planned_year IS NOT DISTINCT FROM $2::int), false)
FROM organizations WHERE id = $1;

-- name: org_request_plan
-- A plan of the organization's import is wanted (set with the change that calls for it).
UPDATE organizations SET plan_requested_at = now() WHERE id = $1;

-- name: plan_completed
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

-- name: sync_years_bounds
-- The first and last year the organization's company has synchronization rows for (NULLs: none).
SELECT min(year) AS first, max(year) AS last FROM sync_years WHERE org_id = $1;

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
-- Remove everything of the organization's former company: postings, chunks, years, check runs.
WITH p AS (DELETE FROM postings WHERE org_id = $1 RETURNING 1),
     c AS (DELETE FROM chunks WHERE org_id = $1 RETURNING 1),
     y AS (DELETE FROM sync_years WHERE org_id = $1 RETURNING 1),
     r AS (DELETE FROM check_runs WHERE org_id = $1 RETURNING 1)
SELECT (SELECT count(*) FROM p) AS postings, (SELECT count(*) FROM c) AS chunks,
       (SELECT count(*) FROM y) AS years, (SELECT count(*) FROM r) AS check_runs;

-- name: org_posting_count
-- How many postings the organization holds.
SELECT count(*) FROM postings WHERE org_id = $1;

-- name: org_same_company
-- Other organizations that synchronize the company $2 (duplicates of organization $1).
SELECT id, name FROM organizations
WHERE company_id = $2 AND id <> $1 AND method = 'api' ORDER BY id;

-- name: chunk_company_fence
-- The chunk, if its company is still its organization's; the organization is held FOR KEY SHARE
-- until the write commits, so a company change cannot slip in between.
SELECT c.id FROM chunks AS c JOIN organizations AS o ON o.id = c.org_id
WHERE c.id = $1 AND o.company_id IS NOT DISTINCT FROM c.company_id
FOR KEY SHARE OF o;

-- name: saft_import_org
-- The organization a SAF-T import belongs to (a failed import_saft job's, from its import id).
SELECT org_id FROM saft_imports WHERE id = $1;

-- name: saft_import_reopen
-- A failed import waits again, its attempts and deaths reset (`jobs retry`); its organization,
-- or nothing when the import is not failed.
UPDATE saft_imports
SET state = 'queued', attempts = 0, deaths = 0, error = NULL, error_kind = NULL,
    lease_owner = NULL, lease_until = NULL, finished_at = NULL, updated_at = now()
WHERE id = $1 AND state = 'failed'
RETURNING org_id, files;

-- name: saft_import_folders
-- The stored copies of an organization's imports, every part's path.
SELECT f ->> 'path' AS path
FROM saft_imports, jsonb_array_elements(files) AS f
WHERE org_id = $1;
