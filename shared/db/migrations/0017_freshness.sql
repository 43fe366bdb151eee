-- Issue 21: keeping a synced organization fresh without fetching it again in full.
-- Webhook subscriptions at Tripletex and the deliveries they bring; checksum polls of date
-- ranges; what each organization's freshness is, for the cockpit.

-- One subscription per organization and event. `hook_key` is the path key of the target URL the
-- receiver answers on; the secret Tripletex sends back in our auth header is kept encrypted like
-- tokens. A subscription whose organization is removed (or changes company) stays as
-- `removing`, with a copy of the employee token's ciphertext, until it is deleted at Tripletex.
CREATE TABLE webhook_subscriptions (
    id                bigserial PRIMARY KEY,
    org_id            bigint REFERENCES organizations (id) ON DELETE SET NULL,
    company_id        bigint NOT NULL,
    event             text NOT NULL,
    hook_key          text NOT NULL UNIQUE,
    secret_encrypted  bytea NOT NULL,
    subscription_id   bigint,                    -- Tripletex's id, once created there
    status            text NOT NULL DEFAULT 'creating'
                      CHECK (status IN ('creating', 'active', 'disabled', 'removing')),
    source_status     text,                      -- Tripletex's own word: ACTIVE, DISABLED_...
    token_encrypted   bytea,                     -- only while removing
    created_at        timestamptz NOT NULL DEFAULT now(),
    checked_at        timestamptz,               -- last seen ACTIVE at Tripletex
    last_delivery_at  timestamptz,
    recreated         integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX webhook_subscriptions_org_event
    ON webhook_subscriptions (org_id, event) WHERE status <> 'removing';

-- Every delivery accepted by the receiver, durably, before it answers 2xx.
CREATE TABLE webhook_deliveries (
    id            bigserial PRIMARY KEY,
    org_id        bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subscription  bigint REFERENCES webhook_subscriptions (id) ON DELETE SET NULL,
    event         text NOT NULL,
    object_id     bigint NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    applied_at    timestamptz,
    outcome       text
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (org_id) WHERE applied_at IS NULL;
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (org_id, received_at);

-- At most one apply message waits per organization: a burst of deliveries is one job.
CREATE TABLE webhook_queue (
    org_id     bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    queued_at  timestamptz NOT NULL DEFAULT now()
);

-- The newest version of each voucher applied from a delivery: an older one never overwrites it.
CREATE TABLE voucher_versions (
    org_id      bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    voucher_id  bigint NOT NULL,
    version     bigint NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, voucher_id)
);

-- Date ranges checked with If-None-Match: the source's digest and our own hash of the answer.
CREATE TABLE poll_ranges (
    org_id        bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    date_from     date NOT NULL,
    date_to       date NOT NULL,                 -- exclusive
    year          integer NOT NULL,
    digest        text,
    content_hash  text,
    vouchers      integer,
    checked_at    timestamptz,
    changed_at    timestamptz,
    PRIMARY KEY (org_id, date_from)
);

-- How each organization is kept fresh, for `org show` and the cockpit.
CREATE TABLE freshness (
    org_id              bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    checksums           text CHECK (checksums IN ('supported', 'unsupported')),
    last_change_at      timestamptz,
    last_change_source  text,                    -- webhook, poll, nightly
    last_change_what    text,
    recent_checked_at   timestamptz,             -- last poll of the recent ranges
    nightly_due_at      timestamptz,
    nightly_done_at     timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE sync_years ADD COLUMN changed_at timestamptz;
