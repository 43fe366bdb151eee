-- companies: the companies an organization's token reaches, one of which it imports.

-- name: companies_by_org
-- The companies an organization's token reaches, own company first.
SELECT company_id, name, organization_number, customer_company_id, is_own
FROM companies WHERE org_id = $1 ORDER BY is_own DESC, name, company_id;

-- name: company_by_org
-- One reachable company.
SELECT company_id, name, organization_number, customer_company_id, is_own
FROM companies WHERE org_id = $1 AND company_id = $2;

-- name: companies_clear
-- Forget the companies found earlier (discovery runs again).
DELETE FROM companies WHERE org_id = $1;

-- name: company_upsert
-- Remember one reachable company.
INSERT INTO companies (org_id, company_id, name, organization_number, customer_company_id, is_own)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, company_id) DO UPDATE SET
    name = excluded.name, organization_number = excluded.organization_number,
    customer_company_id = excluded.customer_company_id, is_own = excluded.is_own;
