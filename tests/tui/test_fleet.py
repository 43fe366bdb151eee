"""The fleet view's figures (issue 18): pure, from rows; then against Postgres and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis
from tui_fake import NOW, ORGS, ago

from shared import orgs, traffic
from shared.config import Settings
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.models import Method, OrgState, Provider
from shared.traffic import Traffic, Window
from tui import fleet, pace
from tui.pg_source import PgSource
from tui.screens.fleet import eta_text, ticks
from tui.views import FleetEta, OrgRow, Progress

SECRET_KEY = "a-test-secret-key-of-some-length"


def org(org_id: int, state: str, progress: Progress, **more: object) -> OrgRow:
    return OrgRow(
        org_id, f"Org {org_id}", "api", "tripletex", None, state, None, None, progress, **more
    )  # type: ignore[arg-type]


def test_postings_per_minute_are_oldest_first_with_empty_minutes_zero() -> None:
    found = fleet.postings_per_minute([{"ago": 0, "postings": 600}, {"ago": 59, "postings": 60}])
    assert len(found) == fleet.MINUTES
    assert (found[0], found[-1], sum(found)) == (60, 600, 660)
    assert fleet.per_second(found)[-1] == 10.0


def test_every_state_is_counted_and_waiting_is_longest_first() -> None:
    counts = dict(fleet.states(ORGS))
    assert counts == {s.value: 1 for s in OrgState} | {"syncing": 2}
    assert [(w.name, w.state) for w in fleet.waiting(ORGS)] == [
        ("Nordlys Eiendom", "choose_company"),
        ("Havbris Sjømat AS", "needs_attention"),
        ("Fjellstue Drift", "awaiting_file"),
    ]
    assert fleet.waiting(ORGS)[0].since == ago(12_000)


def test_eta_is_the_work_left_at_the_fleet_rate_and_the_slowest_own_pace() -> None:
    rows = [
        # a count known: 9,000 left at 10/s
        org(1, "syncing", Progress(10_000, 1_000, rate=10.0)),
        # no count: 1,000 to 2,000 left (days left at the densities done) at 5/s
        org(2, "syncing", Progress(None, 500, rate=5.0, share=0.25, left=(1_000.0, 2_000.0))),
        # nothing to go by yet
        org(3, "syncing", Progress(None, 0)),
        org(4, "synced", Progress(5, 5)),
    ]
    eta = fleet.eta(rows)
    # the work left and the rate are the home screen's (tui.pace), summed
    assert (eta.syncing, eta.postings_left, eta.unknown) == (3, (10_000, 11_000), 1)
    assert eta.rate == pytest.approx(15.0)
    assert eta.low == pytest.approx(10_000 / 15)
    # own pace: org 1 needs 900 s more, org 2 200 to 400 s: the slower decides
    assert eta.high == pytest.approx(900.0)


def test_eta_without_anything_to_go_by_says_so() -> None:
    eta = fleet.eta([org(1, "syncing", Progress(None, 0))])
    assert (eta.low, eta.high, eta.unknown) == (None, None, 1)
    assert "No estimate yet" in eta_text(eta)
    assert eta_text(FleetEta(2, (900, 900), 0, 1.0, 600.0, 3_700.0)).endswith(
        "done in 10m 00s – 1h 01m[/b]"
    )


def test_tokens_are_named_by_their_organizations_and_drawn_against_their_limit() -> None:
    rows = [
        org(1, "syncing", Progress(None, 0), token_fingerprint="fp:abcd-2345"),
        org(2, "syncing", Progress(None, 0), token_fingerprint="fp:abcd-2345"),
        org(3, "syncing", Progress(None, 0), token_fingerprint="fp:zzzz-7777"),
    ]
    now = int(NOW.timestamp() * 1000)
    counted = Traffic(
        now,
        ({"k1": 50, "k2": 1}, {"k1": 100}),
        {"k1": 3},
        {1: "k1", 2: "k1", 3: "k2", 9: "k1"},
        {"k1": Window(100, 40, now + 5_000, 60_000), "k2": Window(100, 7, now - 1, 60_000)},
    )
    busy, calm = fleet.tokens(rows, counted)
    assert (busy.orgs, busy.fingerprint, busy.per_minute) == (
        ("Org 1", "Org 2"),
        "fp:abcd-2345",
        (50, 100),
    )
    assert (busy.limit, busy.used, busy.limit_per_minute) == (100, 40, 100.0)
    assert (calm.orgs, calm.used) == (("Org 3",), 0)  # its window ended: nothing used now
    assert ticks([0, 50, 100, 130], 100) == " ▄██"


@pytest.fixture
async def source(database_url: str, redis_url: str) -> AsyncIterator[PgSource]:
    settings = Settings.from_env(
        {
            "LEDGERSYNC_DATABASE_URL": database_url,
            "LEDGERSYNC_REDIS_URL": redis_url,
            "LEDGERSYNC_SECRET_KEY": SECRET_KEY,
        }
    )
    built = PgSource(settings)
    yield built
    await built.close()


async def test_the_fleet_shows_what_postgres_and_redis_hold(
    source: PgSource, pg: asyncpg.Connection, redis_url: str
) -> None:
    cipher = TokenCipher(SECRET_KEY)
    ids = [
        await orgs.register(
            pg,
            orgs.NewOrg(name, Method.API, Provider.TRIPLETEX, token=f"token-{name}"),
            cipher=cipher,
        )
        for name in ("Alfa AS", "Beta AS", "Gamma AS")
    ]
    alfa, beta, gamma = ids
    await pg.execute(Q["org_set_state"], alfa, OrgState.SYNCING, None)
    await pg.execute(Q["org_set_state"], beta, OrgState.NEEDS_ATTENTION, "File refused")
    await pg.execute(Q["org_set_state"], gamma, OrgState.CHOOSE_COMPANY, None)
    await pg.execute(
        "UPDATE organizations SET updated_at = now() - interval '2 hours' WHERE id = $1", gamma
    )
    await pg.execute(
        "INSERT INTO sync_years (org_id, year, state, expected, started_at) "
        "VALUES ($1, 2024, 'importing', 5000, now() - interval '30 minutes')",
        alfa,
    )
    for minutes, postings in ((1.5, 300), (2.5, 200), (20.5, 100), (70, 999)):
        await pg.execute(
            "INSERT INTO chunks (org_id, year, date_from, date_to, state, postings, finished_at) "
            "VALUES ($1, 2024, make_date(2024, 1, 1) + $2::int, make_date(2024, 1, 1) + $2::int "
            "+ 1, 'done', $3, now() - make_interval(secs => $4))",
            alfa,
            int(minutes * 10),
            postings,
            minutes * 60,
        )
    with redis.Redis.from_url(redis_url) as client:
        seconds, _ = client.time()
        minute = seconds // 60
        client.hset(traffic.tally_key(minute - 1), mapping={"aaaaaaaaaaaa": 90})
        client.hset(traffic.tally_key(minute - 3), mapping={"aaaaaaaaaaaa": 30, "bbbbbbbbbbbb": 6})
        client.hset(traffic.ORGS_KEY, mapping={str(alfa): "aaaaaaaaaaaa"})
        client.hset(
            traffic.LIMITER_PREFIX + "aaaaaaaaaaaa",
            mapping={"limit": 100, "sent": 12, "end": (seconds + 30) * 1000, "window": 60_000},
        )
    # the rate decays while the test runs (nothing is importing): read it on both sides of the view
    rate_before = await _rate(pg, alfa)
    view = await source.fleet()
    rate_after = await _rate(pg, alfa)

    # postings per minute as SQL counts them: the chunk older than an hour is not in it
    sql = await pg.fetch(Q["chunks_done_per_minute"])
    assert sum(view.postings_per_s) * 60 == sum(r["postings"] for r in sql) == 600
    assert view.postings_per_s[-2] * 60 == 300
    # requests as Redis counted them, per whole minute
    assert view.requests_per_s[-1] * 60 == 90
    assert view.requests_per_s[-3] * 60 == 36
    states = dict(view.states)
    db_states = {
        r["state"]: r["n"]
        for r in await pg.fetch("SELECT state, count(*) AS n FROM organizations GROUP BY state")
    }
    assert {s: n for s, n in states.items() if n} == db_states
    # the longest wait is the one SQL finds
    oldest = await pg.fetchrow(
        "SELECT id, updated_at FROM organizations WHERE state IN "
        "('choose_company', 'needs_attention', 'awaiting_file') ORDER BY updated_at LIMIT 1"
    )
    assert (view.waiting[0].id, view.waiting[0].since) == (oldest["id"], oldest["updated_at"])
    # the token Alfa spends, with Alfa's fingerprint and its limit; the other's is not known
    alfa_print = await pg.fetchval(
        "SELECT token_fingerprint FROM credentials WHERE org_id = $1", alfa
    )
    busy, other = view.tokens
    assert (busy.orgs, busy.fingerprint) == (("Alfa AS",), orgs.shown_fingerprint(alfa_print))
    assert (busy.limit, busy.used, sum(busy.per_minute)) == (100, 12, 120)
    assert (other.orgs, other.limit, sum(other.per_minute)) == ((), None, 6)
    # the ETA: 5,000 expected less every posting this sync imported, at the rate the home
    # screen shows (tui.pace over the view `org_progress`)
    done = await pg.fetchval("SELECT sum(postings)::bigint FROM chunks WHERE state = 'done'")
    assert (view.eta.syncing, view.eta.postings_left) == (1, (5_000 - done, 5_000 - done))
    assert rate_after > 0
    assert view.eta.rate is not None
    assert rate_before * (1 + 1e-9) >= view.eta.rate >= rate_after * (1 - 1e-9)
    assert view.eta.low == view.eta.high == pytest.approx((5_000 - done) / view.eta.rate)
    assert view.at.tzinfo is not None


async def _rate(pg: asyncpg.Connection, org_id: int) -> float:
    """The organization's rate now, as the home screen computes it (tui.pace over org_progress)."""
    summed = await pg.fetchrow(
        "SELECT weighted, importing_s FROM org_progress WHERE org_id = $1", org_id
    )
    per_s = pace.rate(summed["weighted"], summed["importing_s"])
    assert per_s is not None
    return per_s
