-- On-call: every job that failed, each failed attempt, and chunks that keep killing their worker.

-- One row per failing logical job (an actor and its arguments), kept until it is resolved:
-- a later success of the same job marks it resolved; nothing expires on its own.
CREATE TABLE jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor            text NOT NULL,
    args             jsonb NOT NULL,
    org_id           bigint REFERENCES organizations (id) ON DELETE CASCADE,
    year             integer,
    chunk_id         bigint REFERENCES chunks (id) ON DELETE SET NULL,
    -- the Dramatiq message of the last failed attempt
    message_id       text,
    -- failed: stopped for good; retrying: another attempt is coming; resolved: it succeeded since
    state            text NOT NULL CHECK (state IN ('failed', 'retrying', 'resolved')),
    -- failed attempts since the job was first seen or last retried by an operator
    attempts         integer NOT NULL DEFAULT 0,
    error_class      text NOT NULL,
    -- one sentence, secrets masked
    error            text NOT NULL,
    -- the last attempt's traceback, secrets masked
    traceback        text NOT NULL DEFAULT '',
    stop_reason      text CHECK (stop_reason IN
                         ('retries_exhausted', 'permanent', 'crashed', 'cancelled')),
    first_failed_at  timestamptz NOT NULL DEFAULT now(),
    last_failed_at   timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    CHECK ((state = 'failed') = (stop_reason IS NOT NULL))
);
-- at most one unresolved row per job: later failures of it update that row
CREATE UNIQUE INDEX jobs_unresolved_key ON jobs (actor, args) WHERE state <> 'resolved';
CREATE INDEX jobs_state_failed_at ON jobs (state, last_failed_at DESC);
CREATE INDEX jobs_org ON jobs (org_id, last_failed_at DESC);

-- Every failed attempt of a job, in order.
CREATE TABLE job_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    -- the job's attempt number then (starts again at 1 after an operator's retry)
    attempt      integer NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now(),
    message_id   text,
    error_class  text NOT NULL,
    error        text NOT NULL,
    traceback    text NOT NULL DEFAULT '',
    -- 'retrying', or why the job stopped
    outcome      text NOT NULL
);
CREATE INDEX job_attempts_job ON job_attempts (job_id, id);

-- Claims in a row that found the chunk still running under a lease that ran out: each one a
-- delivery whose worker died (or hung) holding it. Reset by a claim of a waiting chunk.
ALTER TABLE chunks ADD COLUMN abandoned integer NOT NULL DEFAULT 0;
