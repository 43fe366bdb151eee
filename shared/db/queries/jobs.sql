-- jobs and job_attempts: failed work, its attempts, retries and resolution.

-- name: job_record_failure
-- One failed attempt: create the job's unresolved row or update it; returns id and attempt number.
INSERT INTO jobs AS j (actor, args, org_id, year, chunk_id, message_id, state, attempts,
                       error_class, error, traceback, stop_reason)
SELECT $1, $2, (SELECT id FROM organizations WHERE id = coalesce($3, c.org_id)),
       coalesce($4, c.year), c.id, $6, $7, 1, $8, $9, $10, $11
FROM (SELECT NULL) AS one
LEFT JOIN chunks AS c ON c.id = $5
ON CONFLICT (actor, args) WHERE state <> 'resolved' DO UPDATE SET
    message_id = excluded.message_id, state = excluded.state, attempts = j.attempts + 1,
    error_class = excluded.error_class, error = excluded.error, traceback = excluded.traceback,
    stop_reason = excluded.stop_reason, last_failed_at = now(), updated_at = now(),
    next_retry_at = NULL
RETURNING id, attempts, org_id, year, chunk_id;

-- name: job_set_next_retry
-- The retry policy retries the job in $2 milliseconds (Dramatiq's delay on the message it enqueues).
UPDATE jobs SET next_retry_at = now() + make_interval(secs => $2::float8 / 1000) WHERE id = $1;

-- name: job_attempt_insert
-- Keep one failed attempt of a job.
INSERT INTO job_attempts (job_id, attempt, message_id, error_class, error, traceback, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: job_resolve
-- A job succeeded: its unresolved row is resolved (a chunk's only once the chunk is done).
UPDATE jobs AS j SET state = 'resolved', stop_reason = NULL, resolved_at = now(),
    updated_at = now(), next_retry_at = NULL
WHERE j.actor = $1 AND j.args = $2 AND j.state <> 'resolved'
  AND (j.chunk_id IS NULL
       OR EXISTS (SELECT 1 FROM chunks AS c
                  WHERE c.id = j.chunk_id AND c.state IN ('done', 'split')))
RETURNING id, actor, message_id;

-- name: jobs_list
-- Jobs, last failed first: in any of the states $1 (NULL: all), of one organization ($2) or all;
-- a chunk's job with the chunk's dates [from, to) and account range.
SELECT j.id, j.actor, j.args, j.org_id, o.name AS org_name, j.year, j.chunk_id, j.message_id,
       j.state, j.attempts, j.error_class, j.error, j.traceback, j.stop_reason,
       j.first_failed_at, j.last_failed_at, j.updated_at, j.resolved_at, j.next_retry_at,
       c.date_from AS chunk_from, c.date_to AS chunk_to, c.account_from AS chunk_account_from,
       c.account_to AS chunk_account_to
FROM jobs AS j
LEFT JOIN organizations AS o ON o.id = j.org_id
LEFT JOIN chunks AS c ON c.id = j.chunk_id
WHERE ($1::text[] IS NULL OR j.state = ANY ($1::text[]))
  AND ($2::bigint IS NULL OR j.org_id = $2)
ORDER BY j.last_failed_at DESC, j.id DESC
LIMIT $3;

-- name: job_by_id
-- One job.
SELECT j.id, j.actor, j.args, j.org_id, o.name AS org_name, j.year, j.chunk_id, j.message_id,
       j.state, j.attempts, j.error_class, j.error, j.traceback, j.stop_reason,
       j.first_failed_at, j.last_failed_at, j.updated_at, j.resolved_at, j.next_retry_at,
       c.date_from AS chunk_from, c.date_to AS chunk_to, c.account_from AS chunk_account_from,
       c.account_to AS chunk_account_to
FROM jobs AS j
LEFT JOIN organizations AS o ON o.id = j.org_id
LEFT JOIN chunks AS c ON c.id = j.chunk_id
WHERE j.id = $1;

-- name: job_lock
-- One job, locked while an operator retries it.
SELECT id, actor, args, org_id, year, chunk_id, state, message_id
FROM jobs WHERE id = $1 FOR UPDATE;

-- name: jobs_existing
-- Which of the ids $1 name a job.
SELECT id FROM jobs WHERE id = ANY ($1::bigint[]);

-- name: jobs_failed_ids
-- Every failed job, of one organization ($1) or all, oldest first, with why it stopped.
SELECT id, stop_reason FROM jobs
WHERE state = 'failed' AND ($1::bigint IS NULL OR org_id = $1) ORDER BY id;

-- name: job_attempts_by_job
-- A job's failed attempts, in order.
SELECT attempt, failed_at, message_id, error_class, error, traceback, outcome
FROM job_attempts WHERE job_id = $1 ORDER BY id;

-- name: job_mark_retrying
-- An operator retries a job: attempts start again from zero.
UPDATE jobs SET state = 'retrying', attempts = 0, stop_reason = NULL, updated_at = now(),
    next_retry_at = NULL
WHERE id = $1;

-- name: jobs_count_by_state
-- How many jobs are in each unresolved state.
SELECT state, count(*) AS count FROM jobs WHERE state <> 'resolved' GROUP BY state ORDER BY state;

-- name: jobs_stop_cancelled
-- An organization was cancelled: its jobs waiting for a retry stop (resume sends the work again).
UPDATE jobs SET state = 'failed', stop_reason = 'cancelled', updated_at = now(),
    next_retry_at = NULL
WHERE org_id = $1 AND state = 'retrying'
RETURNING id;
