-- check_runs: the troubleshooting checks' runs.

-- name: check_run_insert
-- Store one run of the troubleshooting checks (results: a JSON list in run order).
INSERT INTO check_runs (org_id, triggered_by, first_failure, results)
VALUES ($1, $2, $3, $4)
RETURNING id, org_id, ran_at, triggered_by, first_failure, results;

-- name: check_run_last
-- The last run of an organization's troubleshooting checks.
SELECT id, org_id, ran_at, triggered_by, first_failure, results
FROM check_runs WHERE org_id = $1
ORDER BY ran_at DESC, id DESC LIMIT 1;

-- name: check_run_recent_failure
-- The last failing run an access error triggered within the last $2 seconds, to reuse it.
SELECT id, org_id, ran_at, triggered_by, first_failure, results
FROM check_runs
WHERE org_id = $1 AND triggered_by = 'access_error' AND first_failure IS NOT NULL
  AND ran_at > now() - make_interval(secs => $2)
ORDER BY ran_at DESC, id DESC LIMIT 1;
