-- saft_imports: SAF-T files submitted and imported, their staging tables, and what an import
-- writes to postings, sync_years and the organization.

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
    source_line      integer NOT NULL,
    -- the line's CustomerID, SupplierID and TaxCode as written (NULL: none)
    customer_number  text,
    supplier_number  text,
    tax_code         text
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
-- a line without a currency of its own is in the file's default currency ($3). Its customer,
-- supplier and VAT type are the organization's rows of those numbers (stored from the
-- MasterFiles before the lines), NULL where it names none or one the file did not list.
INSERT INTO postings (org_id, posting_id, posting_date, amount, account_number, account_name,
                      voucher_id, voucher_number, row_number, description, amount_currency,
                      currency, customer_id, supplier_id, vat_type_id)
SELECT $1, $2 + s.ordinal, s.posting_date, s.amount::numeric, s.account_number, s.account_name,
       $2 + s.voucher, s.voucher_number, s.row_number, s.description,
       coalesce(s.amount_currency, s.amount)::numeric, coalesce(s.currency, $3),
       c.id, p.id, v.id
FROM saft_staged AS s
LEFT JOIN customers AS c ON c.org_id = $1 AND c.number = s.customer_number
LEFT JOIN suppliers AS p ON p.org_id = $1 AND p.number = s.supplier_number
LEFT JOIN vat_types AS v ON v.org_id = $1 AND v.number = s.tax_code;

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
