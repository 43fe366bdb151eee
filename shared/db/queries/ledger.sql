-- ledger: the general ledger's master tables (migration 0015) as an API sync refreshes them,
-- the source's own balances per year, and how each register's refresh went (0016).
-- Each register is upserted whole from the arrays of one listing ($2.. in the table's column
-- order), its rows listed again marked at_source, and then `<table>_retire` marks the rows the
-- source no longer lists (never deleted: postings may point at them).

-- name: ledger_accounts_upsert
-- Write the listed ledger accounts of organization $1 (unchanged rows are left alone).
INSERT INTO ledger_accounts AS t (org_id, number, id, name, account_type, ledger_type,
    vat_type_id, saft_code, is_inactive, at_source)
SELECT $1, u.*, true FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
    $7::bigint[], $8::text[], $9::boolean[]) AS u
ON CONFLICT (org_id, number) DO UPDATE SET id = excluded.id, name = excluded.name, account_type =
    excluded.account_type, ledger_type = excluded.ledger_type, vat_type_id = excluded.vat_type_id,
    saft_code = excluded.saft_code, is_inactive = excluded.is_inactive, at_source = true
WHERE (t.id, t.name, t.account_type, t.ledger_type, t.vat_type_id, t.saft_code, t.is_inactive,
    t.at_source) IS DISTINCT FROM (excluded.id, excluded.name, excluded.account_type,
    excluded.ledger_type, excluded.vat_type_id, excluded.saft_code, excluded.is_inactive, true);

-- name: ledger_accounts_retire
-- The ledger accounts the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE ledger_accounts SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (number = any($2::text[]));

-- name: voucher_types_upsert
-- Write the listed voucher types of organization $1 (unchanged rows are left alone).
INSERT INTO voucher_types AS t (org_id, id, name, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, at_source = true
WHERE (t.name, t.at_source) IS DISTINCT FROM (excluded.name, true);

-- name: voucher_types_retire
-- The voucher types the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE voucher_types SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: vat_types_upsert
-- Write the listed vat types of organization $1 (unchanged rows are left alone).
INSERT INTO vat_types AS t (org_id, id, number, name, percentage, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[], $4::text[], $5::numeric[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, name = excluded.name, percentage
    = excluded.percentage, at_source = true
WHERE (t.number, t.name, t.percentage, t.at_source) IS DISTINCT FROM (excluded.number,
    excluded.name, excluded.percentage, true);

-- name: vat_types_retire
-- The vat types the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE vat_types SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: customers_upsert
-- Write the listed customers of organization $1 (unchanged rows are left alone).
INSERT INTO customers AS t (org_id, id, number, name, organization_number, is_inactive, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[])
    AS u
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, name = excluded.name,
    organization_number = excluded.organization_number, is_inactive = excluded.is_inactive,
    at_source = true
WHERE (t.number, t.name, t.organization_number, t.is_inactive, t.at_source) IS DISTINCT FROM
    (excluded.number, excluded.name, excluded.organization_number, excluded.is_inactive, true);

-- name: customers_retire
-- The customers the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE customers SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: suppliers_upsert
-- Write the listed suppliers of organization $1 (unchanged rows are left alone).
INSERT INTO suppliers AS t (org_id, id, number, name, organization_number, is_inactive, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[])
    AS u
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, name = excluded.name,
    organization_number = excluded.organization_number, is_inactive = excluded.is_inactive,
    at_source = true
WHERE (t.number, t.name, t.organization_number, t.is_inactive, t.at_source) IS DISTINCT FROM
    (excluded.number, excluded.name, excluded.organization_number, excluded.is_inactive, true);

-- name: suppliers_retire
-- The suppliers the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE suppliers SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: employees_upsert
-- Write the listed employees of organization $1 (unchanged rows are left alone).
INSERT INTO employees AS t (org_id, id, name, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, at_source = true
WHERE (t.name, t.at_source) IS DISTINCT FROM (excluded.name, true);

-- name: employees_retire
-- The employees the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE employees SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: departments_upsert
-- Write the listed departments of organization $1 (unchanged rows are left alone).
INSERT INTO departments AS t (org_id, id, number, name, is_inactive, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[], $4::text[], $5::boolean[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, name = excluded.name, is_inactive
    = excluded.is_inactive, at_source = true
WHERE (t.number, t.name, t.is_inactive, t.at_source) IS DISTINCT FROM (excluded.number,
    excluded.name, excluded.is_inactive, true);

-- name: departments_retire
-- The departments the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE departments SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: projects_upsert
-- Write the listed projects of organization $1 (unchanged rows are left alone).
INSERT INTO projects AS t (org_id, id, number, name, is_inactive, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[], $4::text[], $5::boolean[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, name = excluded.name, is_inactive
    = excluded.is_inactive, at_source = true
WHERE (t.number, t.name, t.is_inactive, t.at_source) IS DISTINCT FROM (excluded.number,
    excluded.name, excluded.is_inactive, true);

-- name: projects_retire
-- The projects the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE projects SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: products_upsert
-- Write the listed products of organization $1 (unchanged rows are left alone).
INSERT INTO products AS t (org_id, id, number, name, is_inactive, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::text[], $4::text[], $5::boolean[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET number = excluded.number, name = excluded.name, is_inactive
    = excluded.is_inactive, at_source = true
WHERE (t.number, t.name, t.is_inactive, t.at_source) IS DISTINCT FROM (excluded.number,
    excluded.name, excluded.is_inactive, true);

-- name: products_retire
-- The products the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE products SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: dimension_names_upsert
-- Write the listed dimension names of organization $1 (unchanged rows are left alone).
INSERT INTO dimension_names AS t (org_id, dimension_index, name, is_active, at_source)
SELECT $1, u.*, true FROM unnest($2::smallint[], $3::text[], $4::boolean[]) AS u
ON CONFLICT (org_id, dimension_index) DO UPDATE SET name = excluded.name, is_active =
    excluded.is_active, at_source = true
WHERE (t.name, t.is_active, t.at_source) IS DISTINCT FROM (excluded.name, excluded.is_active, true);

-- name: dimension_names_retire
-- The dimension names the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE dimension_names SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (dimension_index = any($2::smallint[]));

-- name: dimension_values_upsert
-- Write the listed dimension values of organization $1 (unchanged rows are left alone).
INSERT INTO dimension_values AS t (org_id, id, dimension_index, number, name, is_active, at_source)
SELECT $1, u.*, true FROM unnest($2::bigint[], $3::smallint[], $4::text[], $5::text[],
    $6::boolean[]) AS u
ON CONFLICT (org_id, id) DO UPDATE SET dimension_index = excluded.dimension_index, number =
    excluded.number, name = excluded.name, is_active = excluded.is_active, at_source = true
WHERE (t.dimension_index, t.number, t.name, t.is_active, t.at_source) IS DISTINCT FROM
    (excluded.dimension_index, excluded.number, excluded.name, excluded.is_active, true);

-- name: dimension_values_retire
-- The dimension values the source no longer lists ($2: those it lists) keep their row, marked.
UPDATE dimension_values SET at_source = false
WHERE org_id = $1 AND at_source AND NOT (id = any($2::bigint[]));

-- name: register_refreshes_record
-- How the refresh of register $2 went: $3 rows listed, or $4 why the source refused it.
INSERT INTO register_refreshes (org_id, register, refreshed_at, listed, refused)
VALUES ($1, $2, now(), $3, $4)
ON CONFLICT (org_id, register) DO UPDATE SET
    refreshed_at = excluded.refreshed_at, listed = excluded.listed, refused = excluded.refused;

-- name: register_refreshes_of_org
-- An organization's registers as last refreshed, refused ones first.
SELECT register, refreshed_at, listed, refused FROM register_refreshes
WHERE org_id = $1
ORDER BY refused IS NULL, register;

-- name: source_balances_clear
-- Before the source's balances of a year are written again: those fetched before go.
DELETE FROM source_balances WHERE org_id = $1 AND year = $2;

-- name: source_balances_insert
-- The source's balances of a year ($3..$6: account numbers, opening, movement, closing).
INSERT INTO source_balances (org_id, year, account_number, opening, movement, closing)
SELECT $1, $2, u.* FROM unnest($3::text[], $4::numeric[], $5::numeric[], $6::numeric[]) AS u;
