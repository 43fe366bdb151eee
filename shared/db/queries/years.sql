-- sync_years: each year's progress and settlement (importing, reconciling, synced, failed).

-- name: years_progress
-- Per-year progress of an organization, newest year first (the view `year_progress` says what
-- each figure is). Tripletex tells no totals, so what is knowable is shown: `expected` (the last
-- import's count, NULL before one), the postings the year holds (`imported`, of which `kept` wait
-- to be imported again), the days whose chunks are done of the year's days, and `open_from`, the
-- first day not yet imported (the year is complete up to the day before).
SELECT year, state, expected, difference, listed, proven, proof_note, imported, kept, weighted,
       since_s, left_known, days_left, density_lo, density_hi, chunks_total, chunks_done,
       chunks_failed, days_done, days_total, open_from
FROM year_progress
WHERE org_id = $1
ORDER BY year DESC;

-- name: year_start
-- Start (or restart) a year's import; $4: whether `ledger/annualAccount` lists it (NULL: unknown).
-- `expected` stays the last import's count: Tripletex tells no totals in advance. A restart gets
-- its own retry after a mismatch (a change made between a chunk's fetch and the reconciliation's
-- is one): the count of an earlier import's retry must not fail this one at its first.
INSERT INTO sync_years (org_id, year, state, expected, listed)
VALUES ($1, $2, 'importing', $3, $4)
ON CONFLICT (org_id, year) DO UPDATE SET
    state = 'importing', expected = coalesce(excluded.expected, sync_years.expected),
    listed = coalesce(excluded.listed, sync_years.listed),
    difference = NULL, proven = NULL, proof_note = NULL, started_at = now(), finished_at = NULL,
    reconcile_attempts = 0, refreshing = false;

-- name: year_mark_refresh
-- The year just started is a refresh: a checksum poll found it changed at Tripletex.
UPDATE sync_years SET refreshing = true WHERE org_id = $1 AND year = $2;

-- name: year_has_chunks
-- Whether a year was planned before.
SELECT EXISTS (SELECT 1 FROM chunks WHERE org_id = $1 AND year = $2);

-- name: year_requeue_chunks
-- Import a planned year again: every leaf chunk not running goes back to pending.
UPDATE chunks
SET state = 'pending', error = NULL, attempts = 0
WHERE org_id = $1 AND year = $2 AND state IN ('done', 'failed', 'pending', 'queued');

-- name: year_requeue_chunks_between
-- Import again the part of a planned year a checksum poll found changed: its leaf chunks not
-- running that overlap [$3, $4) go back to pending.
UPDATE chunks
SET state = 'pending', error = NULL, attempts = 0
WHERE org_id = $1 AND year = $2 AND state IN ('done', 'failed', 'pending', 'queued')
  AND date_from < $4 AND date_to > $3
RETURNING id;

-- name: years_of_org
-- An organization's years and their states (what its checksum polls cover).
SELECT year, state FROM sync_years WHERE org_id = $1 ORDER BY year;

-- name: years_to_prove
-- Synced years changed since their trial balance was last proven, or never proven: the nightly
-- pass proves them again.
SELECT year FROM sync_years
WHERE org_id = $1 AND state = 'synced'
  AND (ledger_checked_at IS NULL OR changed_at > ledger_checked_at)
ORDER BY year;

-- name: year_close_if_done
-- When no chunk of the year is open any more, move it to reconciling (once); while it
-- reconciles, finished_at says since when (the scheduler sends a lost reconciliation again).
UPDATE sync_years AS y SET state = 'reconciling', finished_at = now()
WHERE y.org_id = $1 AND y.year = $2 AND y.state = 'importing'
  AND NOT EXISTS (
      SELECT 1 FROM chunks AS c
      WHERE c.org_id = $1 AND c.year = $2 AND c.state IN ('pending', 'queued', 'running', 'held'))
RETURNING (SELECT count(*) FROM chunks AS c
           WHERE c.org_id = $1 AND c.year = $2 AND c.state = 'failed') AS failed_chunks;

-- name: year_by_key
-- One year's row.
SELECT org_id, year, state, expected, reconcile_attempts, difference, refreshing
FROM sync_years WHERE org_id = $1 AND year = $2;

-- name: year_retry_after_mismatch
-- A reconciliation mismatch imports the year once more (only the first time).
UPDATE sync_years
SET state = 'importing', reconcile_attempts = reconcile_attempts + 1, difference = $3
WHERE org_id = $1 AND year = $2 AND state = 'reconciling' AND reconcile_attempts = 0
RETURNING year;

-- name: year_imported
-- How many postings a year's finished chunks hold.
SELECT coalesce(sum(postings), 0)::bigint FROM chunks
WHERE org_id = $1 AND year = $2 AND state = 'done';

-- name: year_settle
-- A year ends synced, or failed with what differs; $5: proven by the API's own sums (false: they
-- could not be read, $6 says why). `expected` becomes this import's count, for the next one.
UPDATE sync_years AS y
SET state = $3, difference = $4, finished_at = now(), proven = $5, proof_note = $6,
    expected = (SELECT coalesce(sum(c.postings), 0) FROM chunks AS c
                WHERE c.org_id = $1 AND c.year = $2 AND c.state = 'done')
WHERE y.org_id = $1 AND y.year = $2 AND y.state = 'reconciling';

-- name: years_plan_lost
-- Years importing for longer than $1 s without a single chunk: planning died or its message was
-- lost. Claimed for this tick (planning restarts the year's clock anyway).
UPDATE sync_years AS y SET started_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing' AND NOT o.cancel_requested
  AND y.state = 'importing' AND y.started_at < now() - make_interval(secs => $1)
  AND NOT EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = y.org_id AND c.year = y.year)
RETURNING y.org_id, y.year;

-- name: years_close_lost
-- Years importing for longer than $1 s whose chunks are all finished, never closed (the worker
-- that finished the last one died first): moved to reconciling, once, as year_close_if_done does.
UPDATE sync_years AS y SET state = 'reconciling', finished_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing'
  AND y.state = 'importing' AND y.started_at < now() - make_interval(secs => $1)
  AND EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = y.org_id AND c.year = y.year)
  AND NOT EXISTS (SELECT 1 FROM chunks AS c WHERE c.org_id = y.org_id AND c.year = y.year
                  AND c.state IN ('pending', 'queued', 'running', 'held'))
RETURNING y.org_id, y.year;

-- name: years_reconcile_lost
-- Years reconciling for longer than $1 s: their message may be lost. Claimed for this tick.
UPDATE sync_years AS y SET finished_at = now()
FROM organizations AS o
WHERE o.id = y.org_id AND o.state = 'syncing' AND y.state = 'reconciling'
  AND coalesce(y.finished_at, y.started_at) < now() - make_interval(secs => $1)
RETURNING y.org_id, y.year;

-- name: year_reopen
-- A year settled as failed imports again (a chunk of it is retried).
UPDATE sync_years SET state = 'importing', difference = NULL, finished_at = NULL
WHERE org_id = $1 AND year = $2 AND state IN ('failed', 'synced');

-- name: year_reopen_reconcile
-- A year whose reconciliation failed is reconciled again.
UPDATE sync_years SET state = 'reconciling', difference = NULL, finished_at = NULL
WHERE org_id = $1 AND year = $2 AND state IN ('failed', 'reconciling');

-- name: year_fail
-- A year ends failed without reconciling (chunks of it failed for good).
UPDATE sync_years SET state = 'failed', difference = $3, finished_at = now()
WHERE org_id = $1 AND year = $2 AND state IN ('importing', 'reconciling');

-- name: years_open
-- An organization's years still importing or reconciling.
SELECT year, state FROM sync_years
WHERE org_id = $1 AND state IN ('importing', 'reconciling') ORDER BY year DESC;

-- name: sync_years_bounds
-- The first and last year the organization's company has synchronization rows for (NULLs: none).
SELECT min(year) AS first, max(year) AS last FROM sync_years WHERE org_id = $1;
