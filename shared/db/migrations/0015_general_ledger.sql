-- The whole general ledger (issue 20): master data, the postings' dimensions, the source's own
-- balances, and the trial balance that proves each year against them.
--
-- Master rows belong to one organization and are keyed by the source's id: Tripletex's id, or for
-- a SAF-T organization an id the import assigns (the file's own key is then in `number`). They are
-- refreshed with every sync: upserted, never deleted while postings may point at them; a row the
-- source no longer lists keeps its last answer with `at_source = false`.

CREATE TABLE ledger_accounts (
    org_id        bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    number        text NOT NULL,              -- as postings.account_number
    id            bigint,                     -- Tripletex's id; NULL from SAF-T
    name          text,
    account_type  text,                       -- Tripletex `type`, SAF-T AccountType
    ledger_type   text,                       -- GENERAL, CUSTOMER, VENDOR, EMPLOYEE, ASSET
    vat_type_id   bigint,
    saft_code     text,                       -- the SAF-T standard account / grouping code
    is_inactive   boolean NOT NULL DEFAULT false,
    at_source     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, number)
);

CREATE TABLE voucher_types (
    org_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id         bigint NOT NULL,
    name       text,
    at_source  boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE vat_types (
    org_id      bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          bigint NOT NULL,
    number      text,
    name        text,
    percentage  numeric(7, 4),
    at_source   boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, id)
);

-- customers and suppliers alike: number, name, organization number
CREATE TABLE customers (
    org_id               bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                   bigint NOT NULL,
    number               text,
    name                 text,
    organization_number  text,
    is_inactive          boolean NOT NULL DEFAULT false,
    at_source            boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE suppliers (LIKE customers INCLUDING ALL);
ALTER TABLE suppliers ADD FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE;

-- employees by name only: nothing personal beyond what a posting's line shows
CREATE TABLE employees (
    org_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id         bigint NOT NULL,
    name       text,
    at_source  boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, id)
);

-- departments, projects and products alike: number and name
CREATE TABLE departments (
    org_id       bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           bigint NOT NULL,
    number       text,
    name         text,
    is_inactive  boolean NOT NULL DEFAULT false,
    at_source    boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE projects (LIKE departments INCLUDING ALL);
ALTER TABLE projects ADD FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE;

CREATE TABLE products (LIKE departments INCLUDING ALL);
ALTER TABLE products ADD FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE;

-- the free accounting dimensions (1-3): their names, and the values postings point at
CREATE TABLE dimension_names (
    org_id           bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    dimension_index  smallint NOT NULL CHECK (dimension_index BETWEEN 1 AND 3),
    name             text,
    is_active        boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, dimension_index)
);

CREATE TABLE dimension_values (
    org_id           bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id               bigint NOT NULL,
    dimension_index  smallint NOT NULL CHECK (dimension_index BETWEEN 1 AND 3),
    number           text,
    name             text,
    is_active        boolean NOT NULL DEFAULT true,
    at_source        boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, id)
);

-- A posting's voucher and dimensions, fetched in the same requests as before (a wider `fields`).
-- The *_id columns hold the source's ids: join them to the master table of the same name on
-- (org_id, id). NULL where the posting has none.
ALTER TABLE postings
    ADD COLUMN voucher_year        integer,
    ADD COLUMN voucher_type_id     bigint,
    ADD COLUMN voucher_description text,
    ADD COLUMN customer_id         bigint,
    ADD COLUMN supplier_id         bigint,
    ADD COLUMN employee_id         bigint,
    ADD COLUMN department_id       bigint,
    ADD COLUMN project_id          bigint,
    ADD COLUMN product_id          bigint,
    ADD COLUMN vat_type_id         bigint,
    ADD COLUMN free_dimension_1    bigint,
    ADD COLUMN free_dimension_2    bigint,
    ADD COLUMN free_dimension_3    bigint,
    ADD COLUMN amount_gross        numeric(18, 2),
    ADD COLUMN invoice_number      text,
    ADD COLUMN system_generated    boolean;

-- the reports an analyst starts from: by account and month, by customer, supplier, project
CREATE INDEX postings_org_account_date ON postings (org_id, account_number, posting_date);
CREATE INDEX postings_org_customer ON postings (org_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX postings_org_supplier ON postings (org_id, supplier_id) WHERE supplier_id IS NOT NULL;
CREATE INDEX postings_org_project ON postings (org_id, project_id) WHERE project_id IS NOT NULL;
CREATE INDEX postings_org_department ON postings (org_id, department_id)
    WHERE department_id IS NOT NULL;
-- one voucher's lines (the TUI's and the CLI's drill-down)
CREATE INDEX postings_org_voucher ON postings (org_id, voucher_id) WHERE voucher_id IS NOT NULL;

-- Each account's balances for a year as the source states them (Tripletex's /balanceSheet, or a
-- SAF-T file's GeneralLedgerAccounts): the API's own answer, kept as given.
CREATE TABLE source_balances (
    org_id          bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year            integer NOT NULL,
    account_number  text NOT NULL,
    opening         numeric(18, 2) NOT NULL,
    movement        numeric(18, 2) NOT NULL,
    closing         numeric(18, 2) NOT NULL,
    fetched_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, year, account_number)
);

-- The control work: a year's trial balance computed from our own postings (opening = the previous
-- year's closing, or the source's opening for the first year held) beside the source's closing,
-- account by account. Written whole per (org, year) each time the year is proven.
CREATE TABLE trial_balances (
    org_id          bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year            integer NOT NULL,
    account_number  text NOT NULL,
    opening         numeric(18, 2) NOT NULL,
    debit           numeric(18, 2) NOT NULL,
    credit          numeric(18, 2) NOT NULL,
    closing         numeric(18, 2) NOT NULL,
    source_closing  numeric(18, 2),           -- NULL: the source has no such row
    difference      numeric(18, 2) NOT NULL,  -- closing - coalesce(source_closing, 0)
    PRIMARY KEY (org_id, year, account_number)
);

-- whether the year's trial balance agrees with the source to the øre, and when that was computed
ALTER TABLE sync_years
    ADD COLUMN ledger_proven      boolean,
    ADD COLUMN ledger_checked_at  timestamptz;
