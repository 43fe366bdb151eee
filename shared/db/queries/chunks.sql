-- chunks: the units of an API import (planned, leased, merged into postings, finished,
-- failed, handed back), and the scheduler's and operators' views of them.

-- name: chunk_plan_custom
-- For the rest of the transaction, plan each statement for its own parameters (see write_chunk).
SET LOCAL plan_cache_mode = force_custom_plan;

-- name: chunk_stage_create
-- A staging table for one chunk's raw API pages, gone at commit.
CREATE TEMP TABLE staged_pages (page bytea NOT NULL) ON COMMIT DROP;

-- name: chunk_merge
-- Make the chunk's scope (dates [$2, $3), accounts [$4, $5) where given) hold exactly the staged
-- postings: upsert, delete the missing, count. Postings outside the scope are left out (an API
-- that reads accountNumberTo inclusively sends one account more). With $6, the scope is that one
-- voucher's postings (a webhook delivery's voucher, `worker/webhooks/store.py`).
-- Postgres unpacks the raw page JSON (UTF-8 bytes as received), so amounts go from JSON text to
-- numeric exactly, and a page that is not whole JSON fails the chunk's transaction. A reference
-- (customer, project, ...) is kept as its id: NULL where the posting has none, or the field is
-- missing (a token without rights to it).
WITH src AS (
    SELECT DISTINCT ON (p.id)
           p.id, p.date, p.amount, p.description, p."row", p."amountCurrency",
           p.currency ->> 'code' AS currency, p.account, p.voucher, p."amountGross",
           p."invoiceNumber", p."systemGenerated",
           (p.customer ->> 'id')::bigint AS customer_id,
           (p.supplier ->> 'id')::bigint AS supplier_id,
           (p.employee ->> 'id')::bigint AS employee_id,
           (p.department ->> 'id')::bigint AS department_id,
           (p.project ->> 'id')::bigint AS project_id,
           (p.product ->> 'id')::bigint AS product_id,
           (p."vatType" ->> 'id')::bigint AS vat_type_id,
           (p."freeAccountingDimension1" ->> 'id')::bigint AS free_dimension_1,
           (p."freeAccountingDimension2" ->> 'id')::bigint AS free_dimension_2,
           (p."freeAccountingDimension3" ->> 'id')::bigint AS free_dimension_3
    FROM staged_pages AS s,
         jsonb_to_recordset(convert_from(s.page, 'UTF8')::jsonb -> 'values') AS p(
             id bigint, date date, amount numeric, description text, "row" integer,
             "amountCurrency" numeric, currency jsonb, account jsonb, voucher jsonb,
             "amountGross" numeric, "invoiceNumber" text, "systemGenerated" boolean,
             customer jsonb, supplier jsonb, employee jsonb, department jsonb, project jsonb,
             product jsonb, "vatType" jsonb, "freeAccountingDimension1" jsonb,
             "freeAccountingDimension2" jsonb, "freeAccountingDimension3" jsonb)
    WHERE p.date >= $2 AND p.date < $3
      AND ($4::bigint IS NULL OR (p.account ->> 'number')::bigint >= $4)
      AND ($5::bigint IS NULL OR (p.account ->> 'number')::bigint < $5)
    ORDER BY p.id
), upserted AS (
    INSERT INTO postings AS t (org_id, posting_id, posting_date, amount, account_number,
                               account_name, voucher_id, voucher_number, row_number,
                               description, amount_currency, currency, voucher_year,
                               voucher_type_id, voucher_description, customer_id, supplier_id,
                               employee_id, department_id, project_id, product_id, vat_type_id,
                               free_dimension_1, free_dimension_2, free_dimension_3,
                               amount_gross, invoice_number, system_generated,
                               voucher_version)
    SELECT $1, id, date, amount, coalesce(account ->> 'number', ''), account ->> 'name',
           (voucher ->> 'id')::bigint, voucher ->> 'number', "row", description,
           "amountCurrency", currency, (voucher ->> 'year')::integer,
           (voucher -> 'voucherType' ->> 'id')::bigint, voucher ->> 'description', customer_id,
           supplier_id, employee_id, department_id, project_id, product_id, vat_type_id,
           free_dimension_1, free_dimension_2, free_dimension_3, "amountGross",
           "invoiceNumber", "systemGenerated", (voucher ->> 'version')::bigint
    FROM src
    ON CONFLICT (org_id, posting_id) DO UPDATE SET
        posting_date = excluded.posting_date, amount = excluded.amount,
        account_number = excluded.account_number, account_name = excluded.account_name,
        voucher_id = excluded.voucher_id, voucher_number = excluded.voucher_number,
        row_number = excluded.row_number, description = excluded.description,
        amount_currency = excluded.amount_currency, currency = excluded.currency,
        voucher_year = excluded.voucher_year, voucher_type_id = excluded.voucher_type_id,
        voucher_description = excluded.voucher_description,
        customer_id = excluded.customer_id, supplier_id = excluded.supplier_id,
        employee_id = excluded.employee_id, department_id = excluded.department_id,
        project_id = excluded.project_id, product_id = excluded.product_id,
        vat_type_id = excluded.vat_type_id, free_dimension_1 = excluded.free_dimension_1,
        free_dimension_2 = excluded.free_dimension_2,
        free_dimension_3 = excluded.free_dimension_3, amount_gross = excluded.amount_gross,
        invoice_number = excluded.invoice_number, system_generated = excluded.system_generated,
        voucher_version = excluded.voucher_version
    WHERE (t.posting_date, t.amount, t.account_number, t.account_name, t.voucher_id,
           t.voucher_number, t.row_number, t.description, t.amount_currency, t.currency,
           t.voucher_year, t.voucher_type_id, t.voucher_description, t.customer_id,
           t.supplier_id, t.employee_id, t.department_id, t.project_id, t.product_id,
           t.vat_type_id, t.free_dimension_1, t.free_dimension_2, t.free_dimension_3,
           t.amount_gross, t.invoice_number, t.system_generated, t.voucher_version)
          IS DISTINCT FROM
          (excluded.posting_date, excluded.amount, excluded.account_number,
           excluded.account_name, excluded.voucher_id, excluded.voucher_number,
           excluded.row_number, excluded.description, excluded.amount_currency,
           excluded.currency, excluded.voucher_year, excluded.voucher_type_id,
           excluded.voucher_description, excluded.customer_id, excluded.supplier_id,
           excluded.employee_id, excluded.department_id, excluded.project_id,
           excluded.product_id, excluded.vat_type_id, excluded.free_dimension_1,
           excluded.free_dimension_2, excluded.free_dimension_3, excluded.amount_gross,
           excluded.invoice_number, excluded.system_generated, excluded.voucher_version)
    RETURNING 1
), deleted AS (
    DELETE FROM postings AS t
    WHERE t.org_id = $1 AND t.posting_date >= $2 AND t.posting_date < $3
      AND ($4::bigint IS NULL OR nullif(t.account_number, '')::bigint >= $4)
      AND ($5::bigint IS NULL OR nullif(t.account_number, '')::bigint < $5)
      AND ($6::bigint IS NULL OR t.voucher_id = $6)
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

-- name: chunks_density_reference_year
-- The newest year of an organization whose chunks are all imported and hold postings: the
-- pattern for the rest.
SELECT year FROM chunks WHERE org_id = $1
GROUP BY year
HAVING bool_and(state IN ('done', 'split')) AND coalesce(sum(postings), 0) > 0
ORDER BY year DESC LIMIT 1;

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

-- name: chunk_retry
-- An operator retries a chunk's job: the chunk waits for the message sent next.
UPDATE chunks
SET state = 'queued', error = NULL, attempts = 0, abandoned = 0, lease_owner = NULL,
    lease_until = NULL, finished_at = NULL, queued_at = now()
WHERE id = $1 AND state IN ('failed', 'pending', 'queued')
RETURNING org_id, year;

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

-- name: chunks_done_per_minute
-- Postings imported in each of the last 60 minutes, for the fleet view: chunks done, by whole
-- minutes back from now (`ago` 0: the last 60 seconds). Minutes without any are left out.
SELECT floor(extract(epoch FROM now() - finished_at) / 60)::int AS ago,
       sum(postings)::bigint AS postings
FROM chunks
WHERE state = 'done' AND finished_at > now() - interval '60 minutes'
GROUP BY 1;

-- name: chunk_company_fence
-- The chunk, if its company is still its organization's; the organization is held FOR KEY SHARE
-- until the write commits, so a company change cannot slip in between.
SELECT c.id FROM chunks AS c JOIN organizations AS o ON o.id = c.org_id
WHERE c.id = $1 AND o.company_id IS NOT DISTINCT FROM c.company_id
FOR KEY SHARE OF o;
