-- postings: what the database holds, read for planning and reconciliation. Written by
-- chunk_merge (chunks.sql) and by the SAF-T import (saft.sql).

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

-- name: postings_account_sums
-- The database's sum per account number for a date range.
SELECT account_number, sum(amount) AS total
FROM postings
WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3
GROUP BY account_number;

-- name: postings_vouchers_per_month
-- Vouchers (distinct voucher ids) per month of an organization's postings, by the month's first
-- day: what its checksum polls' ranges are planned from.
SELECT date_trunc('month', posting_date)::date AS month, count(DISTINCT voucher_id) AS vouchers
FROM postings WHERE org_id = $1 GROUP BY 1 ORDER BY 1;

-- name: postings_vouchers_between
-- The vouchers of an organization's postings in [$2, $3), each with the newest version held
-- (what a checksum probe's answer is compared with).
SELECT voucher_id AS id, max(voucher_version) AS version FROM postings
WHERE org_id = $1 AND posting_date >= $2 AND posting_date < $3
GROUP BY voucher_id;
