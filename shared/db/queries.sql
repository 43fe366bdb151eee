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
SELECT id, name, method, provider, state, state_reason, created_at, updated_at
FROM organizations WHERE id = $1;

-- name: org_by_name
-- One organization by its name (case-insensitive).
SELECT id, name, method, provider, state, state_reason, created_at, updated_at
FROM organizations WHERE lower(name) = lower($1);

-- name: org_list
-- Every organization, oldest first.
SELECT id, name, method, provider, state, state_reason, created_at, updated_at
FROM organizations ORDER BY id;

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
    VALUES ($1, $2, $3, $4, 'queued', $5)
    ON CONFLICT (org_id, date_from, date_to) DO NOTHING
    RETURNING id
)
SELECT id FROM inserted
UNION ALL
SELECT id FROM chunks WHERE org_id = $1 AND date_from = $3 AND date_to = $4
LIMIT 1;

-- name: chunk_claim
-- Lease a queued chunk (or one whose lease ran out) for this delivery; nothing when it is taken.
UPDATE chunks
SET state = 'running', lease_owner = $2, lease_until = now() + make_interval(secs => $3),
    deliveries = deliveries + 1, started_at = coalesce(started_at, now())
WHERE id = $1
  AND (state = 'queued' OR (state = 'running' AND lease_until < now()))
RETURNING id, org_id, year, date_from, date_to, deliveries;
