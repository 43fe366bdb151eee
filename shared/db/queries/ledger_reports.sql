-- The general ledger read back (issue 20): a year's trial balance as the proof stored it, the
-- postings of an account and month with their dimensions by name, one voucher. Read only; the
-- tables are written by shared/ledger/proof.py and the master-data imports.

-- name: trial_balances_of_year
-- A year's trial balance with each account's name and type; accounts in numeric order, then others.
SELECT t.account_number, a.name, a.account_type, t.opening, t.debit, t.credit, t.closing,
       t.source_closing, t.difference
FROM trial_balances AS t
LEFT JOIN ledger_accounts AS a ON a.org_id = t.org_id AND a.number = t.account_number
WHERE t.org_id = $1 AND t.year = $2
ORDER BY CASE WHEN t.account_number ~ '^[0-9]+$' THEN t.account_number::numeric END,
         t.account_number;

-- name: sync_years_ledger_proof
-- Whether a year's trial balance agrees with the source, and when it was computed; no row: not held.
SELECT year, ledger_proven, ledger_checked_at FROM sync_years WHERE org_id = $1 AND year = $2;

-- name: sync_years_ledger_held
-- The years an organization holds (synchronized or with a trial balance), newest first.
SELECT year FROM sync_years WHERE org_id = $1
UNION
SELECT DISTINCT year FROM trial_balances WHERE org_id = $1
ORDER BY year DESC;

-- name: ledger_accounts_known
-- An account's name if the organization knows the number: in its chart, or on any posting.
SELECT coalesce(
    (SELECT name FROM ledger_accounts WHERE org_id = $1 AND number = $2),
    (SELECT account_name FROM postings WHERE org_id = $1 AND account_number = $2 LIMIT 1),
    '') AS name
WHERE EXISTS (SELECT FROM ledger_accounts WHERE org_id = $1 AND number = $2)
   OR EXISTS (SELECT FROM postings WHERE org_id = $1 AND account_number = $2);

-- name: dimension_names_of_org
-- The names an organization gives its free accounting dimensions 1-3.
SELECT dimension_index, name FROM dimension_names WHERE org_id = $1;

-- name: postings_months_of_account
-- An account's postings per month of a year: count, debit (positive sum), credit (minus negative).
SELECT date_trunc('month', posting_date)::date AS month, count(*) AS n,
       coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debit,
       coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS credit
FROM postings
WHERE org_id = $1 AND account_number = $2 AND posting_date >= $3 AND posting_date < $4
GROUP BY 1
ORDER BY 1;

-- name: postings_report
-- Postings of an account ($2, NULL: any) in [$3, $4) (NULL: any time), with dimensions by name.
SELECT p.posting_id, p.posting_date, p.account_number, p.account_name, p.voucher_id,
       p.voucher_number, coalesce(p.description, p.voucher_description) AS description, p.amount,
       coalesce(c.name, c.number, '#' || p.customer_id) AS customer,
       coalesce(s.name, s.number, '#' || p.supplier_id) AS supplier,
       coalesce(e.name, '#' || p.employee_id) AS employee,
       coalesce(d.name, d.number, '#' || p.department_id) AS department,
       coalesce(pr.name, pr.number, '#' || p.project_id) AS project,
       coalesce(pd.name, pd.number, '#' || p.product_id) AS product,
       coalesce(v.name, v.number, '#' || p.vat_type_id) AS vat_type,
       coalesce(f1.name, f1.number, '#' || p.free_dimension_1) AS free_dimension_1,
       coalesce(f2.name, f2.number, '#' || p.free_dimension_2) AS free_dimension_2,
       coalesce(f3.name, f3.number, '#' || p.free_dimension_3) AS free_dimension_3
FROM postings AS p
LEFT JOIN customers AS c ON c.org_id = p.org_id AND c.id = p.customer_id
LEFT JOIN suppliers AS s ON s.org_id = p.org_id AND s.id = p.supplier_id
LEFT JOIN employees AS e ON e.org_id = p.org_id AND e.id = p.employee_id
LEFT JOIN departments AS d ON d.org_id = p.org_id AND d.id = p.department_id
LEFT JOIN projects AS pr ON pr.org_id = p.org_id AND pr.id = p.project_id
LEFT JOIN products AS pd ON pd.org_id = p.org_id AND pd.id = p.product_id
LEFT JOIN vat_types AS v ON v.org_id = p.org_id AND v.id = p.vat_type_id
LEFT JOIN dimension_values AS f1 ON f1.org_id = p.org_id AND f1.id = p.free_dimension_1
LEFT JOIN dimension_values AS f2 ON f2.org_id = p.org_id AND f2.id = p.free_dimension_2
LEFT JOIN dimension_values AS f3 ON f3.org_id = p.org_id AND f3.id = p.free_dimension_3
WHERE p.org_id = $1
  AND ($2::text IS NULL OR p.account_number = $2)
  AND ($3::date IS NULL OR (p.posting_date >= $3 AND p.posting_date < $4::date))
ORDER BY p.posting_date, p.voucher_id NULLS LAST, p.row_number NULLS LAST, p.posting_id;

-- name: postings_of_voucher
-- One voucher's postings (its lines in order), with its type and the same dimensions by name.
SELECT p.posting_id, p.posting_date, p.account_number, p.account_name, p.voucher_id,
       p.voucher_number, p.voucher_year, t.name AS voucher_type, p.voucher_description,
       p.description, p.amount,
       coalesce(c.name, c.number, '#' || p.customer_id) AS customer,
       coalesce(s.name, s.number, '#' || p.supplier_id) AS supplier,
       coalesce(e.name, '#' || p.employee_id) AS employee,
       coalesce(d.name, d.number, '#' || p.department_id) AS department,
       coalesce(pr.name, pr.number, '#' || p.project_id) AS project,
       coalesce(pd.name, pd.number, '#' || p.product_id) AS product,
       coalesce(v.name, v.number, '#' || p.vat_type_id) AS vat_type,
       coalesce(f1.name, f1.number, '#' || p.free_dimension_1) AS free_dimension_1,
       coalesce(f2.name, f2.number, '#' || p.free_dimension_2) AS free_dimension_2,
       coalesce(f3.name, f3.number, '#' || p.free_dimension_3) AS free_dimension_3
FROM postings AS p
LEFT JOIN voucher_types AS t ON t.org_id = p.org_id AND t.id = p.voucher_type_id
LEFT JOIN customers AS c ON c.org_id = p.org_id AND c.id = p.customer_id
LEFT JOIN suppliers AS s ON s.org_id = p.org_id AND s.id = p.supplier_id
LEFT JOIN employees AS e ON e.org_id = p.org_id AND e.id = p.employee_id
LEFT JOIN departments AS d ON d.org_id = p.org_id AND d.id = p.department_id
LEFT JOIN projects AS pr ON pr.org_id = p.org_id AND pr.id = p.project_id
LEFT JOIN products AS pd ON pd.org_id = p.org_id AND pd.id = p.product_id
LEFT JOIN vat_types AS v ON v.org_id = p.org_id AND v.id = p.vat_type_id
LEFT JOIN dimension_values AS f1 ON f1.org_id = p.org_id AND f1.id = p.free_dimension_1
LEFT JOIN dimension_values AS f2 ON f2.org_id = p.org_id AND f2.id = p.free_dimension_2
LEFT JOIN dimension_values AS f3 ON f3.org_id = p.org_id AND f3.id = p.free_dimension_3
WHERE p.org_id = $1 AND p.voucher_id = $2
ORDER BY p.row_number NULLS LAST, p.posting_id;
