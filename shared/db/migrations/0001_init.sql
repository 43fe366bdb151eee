-- Organizations and the postings imported for them: the tables others query (see the contract).

CREATE TABLE organizations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    method      text NOT NULL CHECK (method IN ('api', 'saft')),
    provider    text CHECK (provider IN ('tripletex')),
    state       text NOT NULL,
    state_reason text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((method = 'api') = (provider IS NOT NULL))
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));

-- One row per ledger posting; amount in the company's currency, debit positive, credit negative.
CREATE TABLE postings (
    org_id          bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    posting_id      bigint NOT NULL,
    posting_date    date NOT NULL,
    amount          numeric(18, 2) NOT NULL,
    account_number  text NOT NULL,
    account_name    text,
    voucher_id      bigint,
    voucher_number  text,
    row_number      integer,
    description     text,
    amount_currency numeric(18, 2),
    currency        text,
    PRIMARY KEY (org_id, posting_id)
);
CREATE INDEX postings_org_date ON postings (org_id, posting_date);

-- Every action that changes something, with who did it (the OS user) and when.
CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    org_id  bigint REFERENCES organizations (id) ON DELETE SET NULL,
    detail  jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_org ON audit_log (org_id, at);
