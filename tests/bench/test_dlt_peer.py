"""The peer benchmark's own logic: dlt missing is said and skipped, ratios, the user's splits."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from bench import dlt_peer, summary
from bench.world import Measure


def test_dlt_missing_is_said_and_its_rows_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dlt", None)  # as without the bench extra
    assert dlt_peer.dlt_version() is None
    own = Measure("ledgersync end to end, sandbox instant, 1 process(es)", 1000, 2.0)
    rows = [dlt_peer.NOT_INSTALLED, *dlt_peer._compared([own], None, 1000)]
    assert "dlt is not installed" in str(rows[0])
    assert not [r for r in rows if isinstance(r, Measure) and r.name.startswith("dlt")]
    (headline,) = summary.peer_headlines(rows)
    assert (headline.figure, headline.beside, headline.ratio) == (
        "500 postings/s",
        "dlt not installed",
        "",
    )


def test_each_ledgersync_figure_beside_dlt_on_the_same_sandbox() -> None:
    instant = Measure("ledgersync end to end, sandbox instant, 2 process(es)", 1000, 1.0)
    slow = Measure("ledgersync end to end, sandbox latency 150-600 ms, 1 process(es)", 1000, 4.0)
    peers = [
        Measure("dlt pipeline, sandbox instant (merge on id)", 1000, 4.0),
        Measure("dlt pipeline, sandbox latency 150-600 ms (merge on id)", 999, 8.0),
    ]
    rows = [
        *dlt_peer._compared([instant], peers[0], 1000),
        *dlt_peer._compared([slow], peers[1], 1000),
    ]
    assert "4.00 × dlt" in [r.note for r in rows if isinstance(r, Measure)]
    assert any("999 postings, the sandbox holds 1,000" in str(r) for r in rows)
    lines = [(h.what, h.ratio) for h in summary.peer_headlines(rows)]
    assert lines == [
        ("ledgersync vs dlt, sandbox instant, 2 process(es)", "4.00"),
        ("ledgersync vs dlt, sandbox latency 150-600 ms, 1 process(es)", "2.00"),
    ]


def test_a_refused_range_is_asked_in_months_then_halves() -> None:
    months = dlt_peer._narrower(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    assert len(months) == 12
    assert months[1] == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert dlt_peer._narrower(dt.date(2024, 2, 1), dt.date(2024, 3, 1)) == [
        (dt.date(2024, 2, 1), dt.date(2024, 2, 15)),
        (dt.date(2024, 2, 15), dt.date(2024, 3, 1)),
    ]
    with pytest.raises(RuntimeError, match="more than 10,000"):
        dlt_peer._narrower(dt.date(2024, 2, 1), dt.date(2024, 2, 2))


def test_a_password_for_dlt_only_where_none_is_given() -> None:
    assert dlt_peer._with_password("postgresql://pg@h:5/db") == "postgresql://pg:unused@h:5/db"
    assert dlt_peer._with_password("postgresql://pg:pw@h/db") == "postgresql://pg:pw@h/db"
