-- A transactional outbox: the intent to send a message is written in the same transaction as
-- the state change that calls for it, and a relay sends what is committed and unsent. A message
-- waiting here twice is staged once.

CREATE TABLE outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor       text NOT NULL,
    args        jsonb NOT NULL CHECK (jsonb_typeof(args) = 'array'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX outbox_once ON outbox (actor, args);
CREATE INDEX outbox_age ON outbox (created_at);

-- One plan per organization at a time (an advisory lock), and a plan message whose request is
-- covered by a plan that started after it does nothing: when a plan was last asked for (set with
-- the change that calls for it), when the last completed plan started, for which year (NULL:
-- every year).
ALTER TABLE organizations
    ADD COLUMN plan_requested_at timestamptz,
    ADD COLUMN planned_at        timestamptz,
    ADD COLUMN planned_year      integer;

-- The worker process (its Dramatiq broker id) holding a chunk's lease: a chunk whose worker is no
-- longer heard from in Redis is taken over when its message comes back, not when its lease ends.
ALTER TABLE chunks ADD COLUMN lease_worker text;
