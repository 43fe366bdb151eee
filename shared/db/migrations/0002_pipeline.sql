-- The onboarding pipeline: credentials, reachable companies, per-year progress, import chunks.

ALTER TABLE organizations
    ADD COLUMN company_id          bigint,
    ADD COLUMN company_name        text,
    ADD COLUMN company_org_number  text,
    ADD COLUMN last_error          text,
    ADD COLUMN cancel_requested    boolean NOT NULL DEFAULT false;

-- Tokens encrypted under LEDGERSYNC_SECRET_KEY; never stored in the clear.
CREATE TABLE credentials (
    org_id              bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    employee_token      bytea NOT NULL,
    token_hint          text NOT NULL,
    session_token       bytea,
    session_expires     date,
    session_generation  integer NOT NULL DEFAULT 0,
    employee_id         bigint,
    actual_employee_id  bigint,
    token_company_id    bigint,
    validated_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- One ciphertext of a known value: tells a wrong LEDGERSYNC_SECRET_KEY before anything is written.
CREATE TABLE key_check (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    ciphertext  bytea NOT NULL
);

-- The companies an organization's token reaches: its own and an accountant's clients.
CREATE TABLE companies (
    org_id               bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    company_id           bigint NOT NULL,
    name                 text NOT NULL,
    organization_number  text,
    customer_company_id  bigint,
    is_own               boolean NOT NULL,
    PRIMARY KEY (org_id, company_id)
);

-- Progress per year; imported counts come from the chunks.
CREATE TABLE sync_years (
    org_id              bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year                integer NOT NULL,
    state               text NOT NULL,
    expected            bigint,
    reconcile_attempts  integer NOT NULL DEFAULT 0,
    difference          text,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    PRIMARY KEY (org_id, year)
);

-- One date range of one year: the unit of import, leased by one worker at a time.
CREATE TABLE chunks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year         integer NOT NULL,
    date_from    date NOT NULL,
    date_to      date NOT NULL,
    state        text NOT NULL,
    expected     bigint,
    postings     bigint,
    attempts     integer NOT NULL DEFAULT 0,
    deliveries   integer NOT NULL DEFAULT 0,
    lease_owner  uuid,
    lease_until  timestamptz,
    error        text,
    queued_at    timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    CHECK (date_to > date_from),
    UNIQUE (org_id, date_from, date_to)
);
CREATE INDEX chunks_org_year ON chunks (org_id, year, state);
CREATE INDEX chunks_running_lease ON chunks (lease_until) WHERE state = 'running';
