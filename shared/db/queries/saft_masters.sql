-- saft_masters: a SAF-T import's MasterFiles (accounts, customers, suppliers, tax codes), staged
-- as they are read and stored into ledger_accounts, customers, suppliers, vat_types and
-- source_balances in the import's one transaction (worker/saft/masters.py).
--
-- Customers, suppliers and VAT types are keyed by an id the import assigns: per organization,
-- 1, 2, 3, ... in the order their file key (`number`) is first met, looked up by number ever
-- after, so the same key keeps its id across imports (see worker/saft/masters.py).

-- name: saft_masters_create
-- Every MasterFiles record of an import in file order (`ordinal`), gone at commit.
CREATE TEMP TABLE saft_masters (
    ordinal              bigint NOT NULL,
    kind                 text NOT NULL,    -- account, customer, supplier, tax
    file                 text NOT NULL,
    number               text NOT NULL,    -- AccountID, CustomerID, SupplierID, TaxCode
    name                 text,
    organization_number  text,
    account_type         text,
    saft_code            text,
    opening              numeric,
    closing              numeric,
    percentage           numeric,
    effective            date,
    source_line          integer NOT NULL
) ON COMMIT DROP;

-- name: saft_masters_index
-- Look the import's records up by kind and key (duplicates, the latest of a key).
CREATE INDEX ON saft_masters (kind, number);

-- name: saft_masters_duplicate
-- The first record after ordinal $1 whose key an earlier record of the same file already has
-- (TaxCodes repeat by design, one per rate period: not counted).
SELECT b.kind, b.number, b.file, b.source_line, m.source_line AS first_line
FROM saft_masters AS b
JOIN saft_masters AS m
  ON m.kind = b.kind AND m.number = b.number AND m.file = b.file AND m.ordinal < b.ordinal
WHERE b.ordinal > $1 AND b.kind <> 'tax'
ORDER BY b.ordinal, m.ordinal
LIMIT 1;

-- name: saft_masters_store_accounts
-- The accounts read after ordinal $2 into ledger_accounts (the last record of a key wins).
INSERT INTO ledger_accounts (org_id, number, name, account_type, saft_code, at_source)
SELECT DISTINCT ON (number) $1, number, name, account_type, saft_code, true
FROM saft_masters
WHERE kind = 'account'
  AND number IN (SELECT number FROM saft_masters WHERE kind = 'account' AND ordinal > $2)
ORDER BY number, ordinal DESC
ON CONFLICT (org_id, number) DO UPDATE SET
    name = excluded.name, account_type = excluded.account_type,
    saft_code = excluded.saft_code, at_source = true;

-- name: saft_masters_store_customers
-- The customers read after ordinal $2: a key already held keeps its id, a new one gets the next.
WITH latest AS (
    SELECT DISTINCT ON (number) number, name, organization_number, ordinal
    FROM saft_masters
    WHERE kind = 'customer'
      AND number IN (SELECT number FROM saft_masters WHERE kind = 'customer' AND ordinal > $2)
    ORDER BY number, ordinal DESC
), held AS (
    SELECT l.*, (SELECT min(c.id) FROM customers AS c
                 WHERE c.org_id = $1 AND c.number = l.number) AS id
    FROM latest AS l
), top AS (
    SELECT coalesce(max(id), 0) AS top FROM customers WHERE org_id = $1
)
INSERT INTO customers (org_id, id, number, name, organization_number, at_source)
SELECT $1, coalesce(h.id, top.top + row_number() OVER (PARTITION BY h.id IS NULL
                                                       ORDER BY h.ordinal)),
       h.number, h.name, h.organization_number, true
FROM held AS h CROSS JOIN top
ON CONFLICT (org_id, id) DO UPDATE SET
    name = excluded.name, organization_number = excluded.organization_number, at_source = true;

-- name: saft_masters_store_suppliers
-- The suppliers read after ordinal $2: a key already held keeps its id, a new one gets the next.
WITH latest AS (
    SELECT DISTINCT ON (number) number, name, organization_number, ordinal
    FROM saft_masters
    WHERE kind = 'supplier'
      AND number IN (SELECT number FROM saft_masters WHERE kind = 'supplier' AND ordinal > $2)
    ORDER BY number, ordinal DESC
), held AS (
    SELECT l.*, (SELECT min(s.id) FROM suppliers AS s
                 WHERE s.org_id = $1 AND s.number = l.number) AS id
    FROM latest AS l
), top AS (
    SELECT coalesce(max(id), 0) AS top FROM suppliers WHERE org_id = $1
)
INSERT INTO suppliers (org_id, id, number, name, organization_number, at_source)
SELECT $1, coalesce(h.id, top.top + row_number() OVER (PARTITION BY h.id IS NULL
                                                       ORDER BY h.ordinal)),
       h.number, h.name, h.organization_number, true
FROM held AS h CROSS JOIN top
ON CONFLICT (org_id, id) DO UPDATE SET
    name = excluded.name, organization_number = excluded.organization_number, at_source = true;

-- name: saft_masters_store_vat_types
-- The tax codes read after ordinal $2 into vat_types, ids as for customers; of a code's details
-- the latest EffectiveDate wins (no date counts as the earliest), then the last in the file.
WITH latest AS (
    SELECT DISTINCT ON (number) number, name, percentage, ordinal
    FROM saft_masters
    WHERE kind = 'tax'
      AND number IN (SELECT number FROM saft_masters WHERE kind = 'tax' AND ordinal > $2)
    ORDER BY number, effective DESC NULLS LAST, ordinal DESC
), held AS (
    SELECT l.*, (SELECT min(v.id) FROM vat_types AS v
                 WHERE v.org_id = $1 AND v.number = l.number) AS id
    FROM latest AS l
), top AS (
    SELECT coalesce(max(id), 0) AS top FROM vat_types WHERE org_id = $1
)
INSERT INTO vat_types (org_id, id, number, name, percentage, at_source)
SELECT $1, coalesce(h.id, top.top + row_number() OVER (PARTITION BY h.id IS NULL
                                                       ORDER BY h.ordinal)),
       h.number, h.name, h.percentage, true
FROM held AS h CROSS JOIN top
ON CONFLICT (org_id, id) DO UPDATE SET
    name = excluded.name, percentage = excluded.percentage, at_source = true;

-- name: saft_masters_unlinked
-- Of the staged lines, how many name a customer, supplier or tax code the organization lacks.
SELECT count(*) FILTER (WHERE s.customer_number IS NOT NULL AND c.id IS NULL) AS customers,
       count(*) FILTER (WHERE s.supplier_number IS NOT NULL AND p.id IS NULL) AS suppliers,
       count(*) FILTER (WHERE s.tax_code IS NOT NULL AND v.id IS NULL) AS tax_codes
FROM saft_staged AS s
LEFT JOIN customers AS c ON c.org_id = $1 AND c.number = s.customer_number
LEFT JOIN suppliers AS p ON p.org_id = $1 AND p.number = s.supplier_number
LEFT JOIN vat_types AS v ON v.org_id = $1 AND v.number = s.tax_code;

-- name: saft_masters_replace_balances
-- The year's source balances are the file's: what an earlier import said of year $2 goes.
DELETE FROM source_balances WHERE org_id = $1 AND year = $2;

-- name: saft_masters_store_balances
-- Each account's opening and closing of the file for year $2 (debit positive), movement the
-- difference; an account without both balances has none.
INSERT INTO source_balances (org_id, year, account_number, opening, movement, closing)
SELECT DISTINCT ON (number) $1, $2, number, opening, closing - opening, closing
FROM saft_masters
WHERE kind = 'account' AND opening IS NOT NULL AND closing IS NOT NULL
ORDER BY number, ordinal DESC;

-- name: saft_masters_is_latest
-- Whether no other done import of the organization covers a later period than one ending $3.
SELECT NOT EXISTS (
    SELECT 1 FROM saft_imports
    WHERE org_id = $1 AND id <> $2 AND state = 'done' AND period_end > $3
);

-- name: saft_masters_mark_accounts
-- After the latest file: an account it does not list is no longer at the source.
UPDATE ledger_accounts AS a
SET at_source = EXISTS (SELECT 1 FROM saft_masters AS m
                        WHERE m.kind = 'account' AND m.number = a.number)
WHERE a.org_id = $1;

-- name: saft_masters_mark_customers
-- After the latest file: a customer it does not list is no longer at the source.
UPDATE customers AS c
SET at_source = EXISTS (SELECT 1 FROM saft_masters AS m
                        WHERE m.kind = 'customer' AND m.number = c.number)
WHERE c.org_id = $1;

-- name: saft_masters_mark_suppliers
-- After the latest file: a supplier it does not list is no longer at the source.
UPDATE suppliers AS s
SET at_source = EXISTS (SELECT 1 FROM saft_masters AS m
                        WHERE m.kind = 'supplier' AND m.number = s.number)
WHERE s.org_id = $1;

-- name: saft_masters_mark_vat_types
-- After the latest file: a tax code it does not list is no longer at the source.
UPDATE vat_types AS v
SET at_source = EXISTS (SELECT 1 FROM saft_masters AS m
                        WHERE m.kind = 'tax' AND m.number = v.number)
WHERE v.org_id = $1;
