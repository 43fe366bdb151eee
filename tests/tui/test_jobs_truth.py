"""The Jobs screen and the progress figures against rows seeded in Postgres and Redis (issue 18,
items 2 and 8): a chunk's job by its month, a pending retry with its next try, workers by name,
a re-sync that shows the postings it holds, and the rate from the sync's own start."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis
from cockpit_seed import api_year, worker_beat
from textual.widgets import Static
from tui_pilot import until

from shared.config import Settings
from shared.jobs import StopReason
from shared.worker_names import WorkerName
from tui import pace
from tui.app import LedgersyncApp
from tui.pg_source import PgSource
from tui.screens.jobs import JobsScreen
from tui.views import OrgDetail
from tui.widgets.job_table import JobTable
from worker.failures import Failure, record

SIZE = (160, 45)


@pytest.fixture
async def source(database_url: str, redis_url: str) -> AsyncIterator[PgSource]:
    settings = Settings.from_env(
        {"LEDGERSYNC_DATABASE_URL": database_url, "LEDGERSYNC_REDIS_URL": redis_url}
    )
    built = PgSource(settings)
    yield built
    await built.close()


async def shown(source: PgSource, org_id: int) -> OrgDetail:
    """What the organization's screen shows."""
    detail = await source.organization(org_id)
    assert detail is not None
    return detail


async def retrying_chunk(pg: asyncpg.Connection, retry_in_ms: int) -> tuple[int, dt.datetime]:
    """March 2024's chunk failed once and waits for its retry, recorded as the workers do."""
    org_id = await api_year(pg, "Mars AS", 2024, {3: ("queued", None)})
    chunk_id = await pg.fetchval("SELECT id FROM chunks WHERE org_id = $1", org_id)
    failure = Failure(
        "import_chunk",
        [chunk_id],
        "m-1",
        "UpstreamError",
        "Tripletex answered 503",
        "",
        None,
        retry_in_ms=retry_in_ms,
    )
    job = await record(pg, failure)
    return job["id"], await pg.fetchval("SELECT next_retry_at FROM jobs WHERE id = $1", job["id"])


async def test_the_jobs_screen_shows_a_chunk_by_month_its_next_try_and_workers_by_name(
    source: PgSource, pg: asyncpg.Connection, redis_client: redis.Redis
) -> None:
    job_id, next_at = await retrying_chunk(pg, retry_in_ms=300_000)
    worker_beat(redis_client, "5f0e2b7c-uuid", WorkerName("ledger-1", 4242, "2/4"))
    worker_beat(redis_client, "9a1d4c3e-uuid-unnamed", None)
    app = LedgersyncApp(source, refresh_s=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(JobsScreen())
        await pilot.press("a")  # failed and retrying
        table = app.screen.query_one(JobTable)
        await until(pilot, "the job", lambda: table.row_count == 1)
        period = str(table.get_cell(str(job_id), "period"))
        state = str(table.get_cell(str(job_id), "state"))
        detail = str(app.screen.query_one("#job-detail", Static).render())
        panel = app.screen.query_one("#panel-workers-text", Static)
        await until(pilot, "the workers", lambda: "ledger-1" in str(panel.render()))
        workers = str(panel.render())
    assert period == "2024-03"
    assert state.startswith("retrying in 4m") or state.startswith("retrying in 5m"), state
    assert "Mars AS · 2024 · 2024-03 (chunk #" in detail
    assert f"next try at {next_at.astimezone():%H:%M:%S}" in detail
    assert "ledger-1 pid 4242 slot 2/4" in workers
    assert "worker 9a1d4c3e" in workers, "a worker that wrote no name: the start of its id"


async def test_a_job_that_stops_for_good_has_no_next_try(pg: asyncpg.Connection) -> None:
    job_id, _ = await retrying_chunk(pg, retry_in_ms=2_000)
    chunk_id = await pg.fetchval("SELECT chunk_id FROM jobs WHERE id = $1", job_id)
    stopped = Failure(
        "import_chunk",
        [chunk_id],
        "m-2",
        "UpstreamError",
        "Tripletex answered 503",
        "",
        StopReason.RETRIES_EXHAUSTED,
    )
    await record(pg, stopped)
    row = await pg.fetchrow("SELECT state, next_retry_at FROM jobs WHERE id = $1", job_id)
    assert (row["state"], row["next_retry_at"]) == ("failed", None)


async def test_a_resync_shows_the_postings_it_holds_not_zero(
    source: PgSource, pg: asyncpg.Connection
) -> None:
    # a year synced with 1,000 postings in January and 2,000 in February, imported again: its
    # chunks wait again (they keep their counts), and January is redone with 1,100 just now
    org_id = await api_year(pg, "Igjen AS", 2023, {1: ("done", 1_000), 2: ("done", 2_000)})
    await pg.execute("UPDATE sync_years SET expected = 3000 WHERE org_id = $1", org_id)
    await pg.execute("UPDATE chunks SET state = 'pending' WHERE org_id = $1", org_id)
    held = await shown(source, org_id)
    assert (held.years[0].progress.imported, held.years[0].progress.kept) == (3_000, 3_000)
    assert held.years[0].progress.done == 0
    await pg.execute(
        "UPDATE chunks SET state = 'done', postings = 1100, finished_at = now() "
        "WHERE org_id = $1 AND date_from = '2023-01-01'",
        org_id,
    )
    detail = await shown(source, org_id)
    year = detail.years[0].progress
    assert (year.imported, year.kept, year.done, year.expected) == (3_100, 2_000, 1_100, 3_000)
    assert detail.row.progress.imported == 3_100
    # the work left is what the last count says is still to come: 1,900 postings
    eta = year.eta_s()
    assert year.rate is not None
    assert eta is not None
    assert eta[0] == eta[1] == pytest.approx(1_900 / year.rate)


async def test_the_rate_counts_from_the_syncs_start_and_ends_with_it(
    source: PgSource, pg: asyncpg.Connection
) -> None:
    org_id = await api_year(pg, "Fart AS", 2024, {1: ("done", 900), 2: ("done", 600)})
    # started 40 s ago; January finished 30 s ago, February 5 s ago; a chunk finished before
    # the start (the last sync's) counts nothing
    await pg.execute(
        "UPDATE sync_years SET started_at = now() - interval '40 seconds' WHERE org_id = $1", org_id
    )
    for month, ago_s in ((1, 30), (2, 5)):
        await pg.execute(
            "UPDATE chunks SET finished_at = now() - make_interval(secs => $3) "
            "WHERE org_id = $1 AND extract(month FROM date_from) = $2",
            org_id,
            month,
            ago_s,
        )
    await pg.execute(
        "INSERT INTO chunks (org_id, year, date_from, date_to, state, postings, finished_at) "
        "VALUES ($1, 2024, '2024-03-01', '2024-04-01', 'done', 5000, now() - interval '50 s')",
        org_id,
    )
    detail = await shown(source, org_id)
    since = await pg.fetchval(
        "SELECT extract(epoch FROM now() - started_at) FROM sync_years WHERE org_id = $1", org_id
    )
    expected = pace.rate(pace.weighted_sum([(30.0, 900), (5.0, 600)]), float(since))
    assert detail.years[0].progress.rate == pytest.approx(expected, rel=0.02)
    assert detail.row.progress.rate == pytest.approx(expected, rel=0.02)
    # no count known: the ETA is a range, from the days left at the thinnest and densest days
    eta = detail.years[0].progress.eta_s()
    assert eta is not None
    assert eta[0] < eta[1]
    # once the year is imported, no rate (nor ETA) is shown
    await pg.execute("UPDATE sync_years SET state = 'synced' WHERE org_id = $1", org_id)
    await pg.execute("UPDATE organizations SET state = 'synced' WHERE id = $1", org_id)
    done = await shown(source, org_id)
    assert done.years[0].progress.rate is None
    assert done.row.progress.rate is None
