"""The terminal UI benchmark's world: a database of many organizations, and work that goes on.

`FILL` runs in order; a statement's $1 is, as its tag says, the number of organizations or of
chunks per planned year (what makes the total about the number of chunks asked for).
"""

from __future__ import annotations

import asyncio
import contextlib

from shared.db import connect

#: statements that fill an empty, migrated database
FILL: tuple[tuple[str, str], ...] = (
    (
        "orgs",
        """
    INSERT INTO organizations (name, method, provider, state, state_reason, last_error,
                               company_id, company_name, company_org_number)
    SELECT 'Bench organization ' || i, 'api', 'tripletex',
           (ARRAY['synced', 'syncing', 'syncing', 'needs_attention', 'choose_company',
                  'validating', 'cancelled'])[1 + i % 7],
           CASE WHEN i % 7 = 3 THEN 'Tripletex rejected the employee token: ask the customer '
                                    'for a new one.' END,
           CASE WHEN i % 7 = 3 THEN '401 Unauthorized' END,
           100000 + i, 'Company ' || i || ' AS', (900000000 + i)::text
    FROM generate_series(1, $1::int) AS i
    """,
    ),
    (
        "none",
        """
    INSERT INTO sync_years (org_id, year, state, expected, started_at, finished_at)
    SELECT o.id, y, CASE WHEN o.state = 'synced' THEN 'synced' ELSE 'importing' END,
           10000, now() - interval '2 hours',
           CASE WHEN o.state = 'synced' THEN now() - interval '1 hour' END
    FROM organizations AS o, generate_series(2021, 2025) AS y
    WHERE o.state NOT IN ('choose_company', 'validating')
    """,
    ),
    (
        "per_year",
        """
    INSERT INTO chunks (org_id, year, date_from, date_to, state, expected, postings, deliveries,
                        started_at, finished_at, queued_at, error)
    SELECT y.org_id, y.year, make_date(y.year, 1, 1) + c * 7, make_date(y.year, 1, 1) + c * 7 + 7,
           s.state, 1000, CASE WHEN s.state = 'done' THEN 1000 END,
           CASE WHEN (c + y.org_id) % 11 = 0 THEN 2 ELSE 1 END,
           now() - interval '2 hours',
           CASE WHEN s.state IN ('done', 'failed')
                THEN now() - random() * interval '2 hours' END,
           now() - interval '2 hours',
           CASE WHEN s.state = 'failed' THEN 'Tripletex answered 500 three times' END
    FROM sync_years AS y, generate_series(0, $1::int - 1) AS c,
         LATERAL (SELECT CASE WHEN y.state = 'synced' THEN 'done'
                              ELSE (ARRAY['done', 'done', 'done', 'queued', 'running', 'pending',
                                          'failed'])[1 + (c + y.org_id) % 7] END AS state) AS s
    """,
    ),
    (
        "none",
        """
    INSERT INTO audit_log (actor, action, org_id, detail)
    SELECT 'bench', a, o.id, '{}'::jsonb
    FROM organizations AS o, unnest(ARRAY['org.register', 'org.select_company']) AS a
    """,
    ),
    (
        "none",
        """
    INSERT INTO check_runs (org_id, triggered_by, first_failure, results)
    SELECT id, 'access_error', 'employee_token', '[]'::jsonb
    FROM organizations WHERE state = 'needs_attention'
    """,
    ),
    (
        "none",
        """
    INSERT INTO jobs (actor, args, org_id, year, chunk_id, state, attempts, error_class, error,
                      traceback, stop_reason)
    SELECT 'import_chunk', jsonb_build_array(id), org_id, year, id, 'failed', 6,
           'UpstreamError', error, 'Traceback (most recent call last): …', 'retries_exhausted'
    FROM chunks WHERE state = 'failed'
    """,
    ),
)
#: one step of imports going on: some chunks finish again now (rates and totals change)
CHURN = """
UPDATE chunks SET postings = postings + 1, finished_at = now()
WHERE id IN (SELECT id FROM chunks WHERE state = 'done' ORDER BY random() LIMIT $1)
"""


async def fill(url: str, orgs: int, chunks: int) -> None:
    """Fill the database with about `chunks` chunks, then let Postgres gather its statistics."""
    conn = await connect(url)
    try:
        values: dict[str, list[int]] = {"orgs": [orgs], "none": []}
        for tag, statement in FILL:
            if tag == "per_year" and "per_year" not in values:
                years = await conn.fetchval("SELECT count(*) FROM sync_years") or 1
                values["per_year"] = [max(1, round(chunks / years))]
            await conn.execute(statement, *values[tag])
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def churn(url: str, every_s: float, chunks: int = 200) -> None:
    """Until cancelled: every `every_s` seconds, `chunks` chunks finish again."""
    conn = await connect(url)
    try:
        while True:
            await conn.execute(CHURN, chunks)
            await asyncio.sleep(every_s)
    finally:
        with contextlib.suppress(Exception):
            await conn.close()
