-- audit_log: the actions that changed something, and an organization's timeline.

-- name: audit_insert
-- Record an action that changed something.
INSERT INTO audit_log (actor, action, org_id, detail) VALUES ($1, $2, $3, $4);

-- name: audit_timeline
-- What happened to an organization, newest first ($2 lines at most): actions (audit_log), the
-- token validated, check runs, years started and settled, failed chunks, chunks delivered again,
-- jobs failing or retrying, SAF-T files submitted and imported.
SELECT at, kind, actor, subject, note, detail FROM (
    SELECT a.at, 'action' AS kind, a.actor, a.action AS subject, NULL AS note, a.detail
    FROM audit_log AS a WHERE a.org_id = $1
    UNION ALL
    SELECT cr.validated_at, 'validated', NULL, NULL,
           (SELECT count(*) FROM companies WHERE org_id = $1)::text, NULL
    FROM credentials AS cr WHERE cr.org_id = $1 AND cr.validated_at IS NOT NULL
    UNION ALL
    SELECT r.ran_at, 'checks', r.triggered_by, r.first_failure, NULL, NULL
    FROM check_runs AS r WHERE r.org_id = $1
    UNION ALL
    SELECT y.started_at, 'year_started', NULL, y.year::text, y.expected::text, NULL
    FROM sync_years AS y WHERE y.org_id = $1
    UNION ALL
    SELECT y.finished_at, 'year_' || y.state, NULL, y.year::text, y.difference, NULL
    FROM sync_years AS y WHERE y.org_id = $1 AND y.finished_at IS NOT NULL
    UNION ALL
    SELECT c.finished_at, 'chunk_failed', NULL, c.date_from || ' – ' || c.date_to, c.error, NULL
    FROM chunks AS c WHERE c.org_id = $1 AND c.state = 'failed' AND c.finished_at IS NOT NULL
    UNION ALL
    SELECT coalesce(c.finished_at, c.started_at), 'chunk_redelivered', NULL,
           c.date_from || ' – ' || c.date_to, c.deliveries::text, NULL
    FROM chunks AS c WHERE c.org_id = $1 AND c.deliveries > 1 AND c.started_at IS NOT NULL
    UNION ALL
    SELECT j.last_failed_at, 'job_' || j.state, j.actor, j.error_class, j.error,
           jsonb_build_object('job_id', j.id, 'attempts', j.attempts, 'year', j.year)
    FROM jobs AS j WHERE j.org_id = $1 AND j.state <> 'resolved'
    UNION ALL
    SELECT coalesce(s.finished_at, s.started_at, s.created_at), 'saft_' || s.state,
           s.submitted_by, s.file_name, coalesce(s.error, s.postings_read::text), NULL
    FROM saft_imports AS s WHERE s.org_id = $1
) AS events
ORDER BY at DESC
LIMIT $2;
