-- The API side of issue 20's master data: how each register's last refresh went, per
-- organization, so a register the token may not read (403) is said, not silently left stale;
-- and dimension names keep a row the source stopped listing, as the other master tables do.

CREATE TABLE register_refreshes (
    org_id        bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    register      text NOT NULL,             -- the master table: customers, ledger_accounts, ...
    refreshed_at  timestamptz NOT NULL DEFAULT now(),
    listed        integer,                   -- rows the source listed; NULL when refused
    refused       text,                      -- why the source would not list it (403, 404, ...)
    PRIMARY KEY (org_id, register)
);

ALTER TABLE dimension_names ADD COLUMN at_source boolean NOT NULL DEFAULT true;
