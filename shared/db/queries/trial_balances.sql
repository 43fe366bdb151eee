-- The trial balance of a year (shared/ledger/proof.py): our postings' sums, the source's own
-- balances, and the rows computed from them.

-- name: postings_year_movements
-- An organization's postings of year $2 summed per account: debit = the positive amounts,
-- credit = minus the negative ones.
SELECT account_number,
       coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debit,
       coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS credit
FROM postings
WHERE org_id = $1 AND posting_date >= make_date($2, 1, 1) AND posting_date < make_date($2 + 1, 1, 1)
GROUP BY account_number;

-- name: source_balances_of_year
-- The source's own balances of year $2, per account.
SELECT account_number, opening, movement, closing
FROM source_balances WHERE org_id = $1 AND year = $2;

-- name: trial_balances_closings
-- Our computed rows of year $2 (empty: the year's trial balance was never computed).
SELECT account_number, closing FROM trial_balances WHERE org_id = $1 AND year = $2;

-- name: trial_balances_later_years
-- The years after $2 whose trial balance was computed: their openings follow from year $2.
SELECT DISTINCT year FROM trial_balances WHERE org_id = $1 AND year > $2 ORDER BY year;

-- name: trial_balances_clear
-- Remove a year's rows before writing it whole again.
DELETE FROM trial_balances WHERE org_id = $1 AND year = $2;

-- name: trial_balances_insert
-- A year's rows, as arrays of one column each (one round trip).
INSERT INTO trial_balances (org_id, year, account_number, opening, debit, credit, closing,
                            source_closing, difference)
SELECT $1, $2, r.account, r.opening, r.debit, r.credit, r.closing, r.source_closing, r.difference
FROM unnest($3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[],
            $8::numeric[], $9::numeric[])
     AS r(account, opening, debit, credit, closing, source_closing, difference);

-- name: year_set_ledger_proof
-- Whether the year's trial balance agrees with the source (NULL: the source gave no balances).
UPDATE sync_years SET ledger_proven = $3, ledger_checked_at = now()
WHERE org_id = $1 AND year = $2;

-- name: trial_balances_lock
-- One proof per organization at a time, until the transaction ends: proving a year rewrites the
-- trial balances of the later years too, which a proof of one of those running beside it
-- would write at the same time (key 7002; 7001 is the plan's).
SELECT pg_advisory_xact_lock(7002, $1::int);
