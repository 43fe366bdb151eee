-- Tripletex reports no totals: chunks are asked for whole and split only when the API refuses
-- one as over 10,000 results, down to account-number ranges of one day. Years say whether
-- `ledger/annualAccount` lists them, and whether the API's own sums proved them.

ALTER TABLE chunks
    ADD COLUMN account_from bigint,
    ADD COLUMN account_to   bigint,
    ADD CHECK (account_from IS NULL OR account_to IS NULL OR account_to > account_from);
ALTER TABLE chunks DROP CONSTRAINT chunks_org_id_date_from_date_to_key;
ALTER TABLE chunks ADD CONSTRAINT chunks_scope_key
    UNIQUE NULLS NOT DISTINCT (org_id, date_from, date_to, account_from, account_to);

ALTER TABLE sync_years
    -- whether `ledger/annualAccount` lists the year (NULL: not asked, as for SAF-T)
    ADD COLUMN listed     boolean,
    -- true: the API's own per-account sums agree; false: they could not be read (proof_note
    -- says why); NULL: not reconciled yet
    ADD COLUMN proven     boolean,
    ADD COLUMN proof_note text;
