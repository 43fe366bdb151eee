-- One year's progress as every screen reads it (issue 18), so the home table, an organization's
-- years, `org show` and the demo cannot disagree:
-- * imported: the postings the year holds now: a re-sync keeps the last import's postings of the
--   chunks it has not redone yet (`kept`), so it never reads 0 until it ends; a SAF-T year's count.
-- * done: postings of the chunks this sync finished (a re-sync sets every chunk waiting again).
-- * weighted: the rate's exponentially weighted sum, sum(postings * e^(-age/30 s)) over the chunks
--   finished since the year's import started (tui/pace.py divides it by the weights' span; 30 s is
--   its TAU_S); chunks finished more than 300 s ago weigh less than e^-10 and are left out.
-- * since_s: seconds since the year's import started, while it imports (else NULL: no rate).
-- * left_known / days_left: the work left while importing: postings still to come where the last
--   import's count is known, else the days not yet imported, at the densities (postings a day) of
--   the whole-day chunks done: density_lo to density_hi, a range since Tripletex tells no totals.
CREATE VIEW year_progress AS
SELECT y.org_id, y.year, y.state, y.expected, y.difference, y.listed, y.proven, y.proof_note,
       y.started_at,
       coalesce(y.imported, c.held)::bigint AS imported,
       CASE WHEN y.imported IS NULL THEN c.held - c.done ELSE 0 END::bigint AS kept,
       c.done, c.weighted, c.chunks_total, c.chunks_done, c.chunks_failed, c.days_done,
       (make_date(y.year + 1, 1, 1) - make_date(y.year, 1, 1)) AS days_total, c.open_from,
       CASE WHEN y.state = 'importing'
            THEN extract(epoch FROM now() - y.started_at)::float8 END AS since_s,
       CASE WHEN y.state = 'importing' AND y.expected IS NOT NULL
            THEN greatest(0, y.expected - c.done) ELSE 0 END::bigint AS left_known,
       CASE WHEN y.state = 'importing' AND y.expected IS NULL
            THEN (make_date(y.year + 1, 1, 1) - make_date(y.year, 1, 1)) - c.days_done
            ELSE 0 END AS days_left,
       c.density_lo, c.density_hi
FROM sync_years AS y
CROSS JOIN LATERAL (
    SELECT coalesce(sum(ch.postings) FILTER (WHERE ch.state <> 'split'), 0)::bigint AS held,
           coalesce(sum(ch.postings) FILTER (WHERE ch.state = 'done'), 0)::bigint AS done,
           coalesce(sum(ch.postings * exp(extract(epoch FROM ch.finished_at - now()) / 30.0))
               FILTER (WHERE ch.state = 'done' AND ch.finished_at >= y.started_at
                         AND ch.finished_at > now() - interval '300 seconds'), 0)::float8
               AS weighted,
           count(ch.id) FILTER (WHERE ch.state <> 'split') AS chunks_total,
           count(ch.id) FILTER (WHERE ch.state = 'done') AS chunks_done,
           count(ch.id) FILTER (WHERE ch.state = 'failed') AS chunks_failed,
           coalesce(sum(ch.date_to - ch.date_from) FILTER (
               WHERE ch.state = 'done' AND ch.account_from IS NULL AND ch.account_to IS NULL), 0
           )::int AS days_done,
           min(ch.date_from) FILTER (
               WHERE ch.state IN ('pending', 'held', 'queued', 'running', 'failed')) AS open_from,
           min(ch.postings::float8 / (ch.date_to - ch.date_from)) FILTER (
               WHERE ch.state = 'done' AND ch.postings > 0 AND ch.account_from IS NULL
                 AND ch.account_to IS NULL) AS density_lo,
           max(ch.postings::float8 / (ch.date_to - ch.date_from)) FILTER (
               WHERE ch.state = 'done' AND ch.postings > 0 AND ch.account_from IS NULL
                 AND ch.account_to IS NULL) AS density_hi
    FROM chunks AS ch WHERE ch.org_id = y.org_id AND ch.year = y.year
) AS c;

-- An organization's years summed, as the home table and its screen show it: `expected` only where
-- every year has one; `importing_s`, seconds since the earliest year still importing started.
CREATE VIEW org_progress AS
SELECT org_id,
       CASE WHEN count(*) = count(expected) THEN sum(expected) END::bigint AS expected,
       sum(imported)::bigint AS imported, sum(kept)::bigint AS kept,
       sum(weighted)::float8 AS weighted, sum(chunks_failed)::bigint AS chunks_failed,
       sum(days_done)::int AS days_done, sum(days_total)::int AS days_total,
       extract(epoch FROM now() - min(started_at) FILTER (WHERE state = 'importing'))::float8
           AS importing_s,
       sum(left_known)::bigint AS left_known, sum(days_left)::int AS days_left,
       min(density_lo) AS density_lo, max(density_hi) AS density_hi
FROM year_progress
GROUP BY org_id;
