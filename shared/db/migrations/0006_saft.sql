-- SAF-T Financial file imports: one row per file (or split set) submitted, with its progress.

CREATE TABLE saft_imports (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id             bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- the name the operator gave (the first part's, for a split set)
    file_name          text NOT NULL,
    -- the copies the workers read, in part order: [{name, path, bytes}]
    files              jsonb NOT NULL CHECK (jsonb_typeof(files) = 'array'),
    -- of the file's bytes (of the parts' hashes, in order, for a split set)
    sha256             text NOT NULL,
    state              text NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'running', 'done', 'invalid', 'failed')),
    bytes_total        bigint NOT NULL,
    bytes_read         bigint NOT NULL DEFAULT 0,
    transactions_read  bigint NOT NULL DEFAULT 0,
    postings_read      bigint NOT NULL DEFAULT 0,
    -- per year read so far: {"2025": {"transactions": n, "postings": n}}
    years              jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- from the header(s), once read
    version            text,
    org_number         text,
    company_name       text,
    currency           text,
    -- the period whose postings the import replaced (the selection period, else the dates')
    period_start       date,
    period_end         date,
    postings_replaced  bigint,
    warnings           jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- the sentence, and the kind of refusal (an InvalidSaftFile class name) or 'failed'
    error              text,
    error_kind         text,
    attempts           integer NOT NULL DEFAULT 0,
    lease_owner        uuid,
    lease_until        timestamptz,
    submitted_by       text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saft_imports_org ON saft_imports (org_id, id DESC);
CREATE INDEX saft_imports_open ON saft_imports (state, updated_at) WHERE state IN ('queued', 'running');

-- Years imported from SAF-T files count their postings here; NULL where the chunks tell (API).
ALTER TABLE sync_years ADD COLUMN imported bigint;
