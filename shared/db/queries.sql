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
