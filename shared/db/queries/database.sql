-- The database itself rather than one table: the migration runner's bookkeeping
-- (schema_migrations) and lock, and the database's clock.

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

-- name: db_now
-- The database's clock (the UI shows ages against it, never against the viewer's).
SELECT now();
