-- Troubleshooting check runs: each run's results in run order, so the UI can show the last one.

CREATE TABLE check_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id         bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    ran_at         timestamptz NOT NULL DEFAULT now(),
    -- what started the run: 'command' (ledgersync check), 'access_error' (a worker), 'tui'
    triggered_by   text NOT NULL,
    -- the name of the first failing check, NULL when none failed
    first_failure  text,
    -- a JSON list of {name, status, message, help}, as `ledgersync check --json` prints it
    results        jsonb NOT NULL CHECK (jsonb_typeof(results) = 'array')
);
CREATE INDEX check_runs_org_last ON check_runs (org_id, ran_at DESC, id DESC);
