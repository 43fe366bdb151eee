"""Timeline lines (pure): what an operator reads of each event."""

from __future__ import annotations

import datetime as dt

import pytest

from tui.story import condense, looks, tell
from tui.views import Event

AT = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("detail", "line"),
    [
        (
            {"company_id": 102, "company_name": "Nordvik Bygg AS"},
            "Chose company Nordvik Bygg AS (#102); first sync started",
        ),
        ({"company_id": 102}, "Chose company #102; first sync started"),
    ],
)
def test_a_chosen_company_is_named_where_the_audit_line_knows_it(
    detail: dict[str, object], line: str
) -> None:
    event = Event(AT, "action", "kari", "org.select_company", None, detail)
    assert tell(event) == line


def test_a_failing_check_run_reads_bad_and_names_the_check() -> None:
    event = Event(AT, "checks", "access_error", "integrations_addon")
    assert tell(event) == "Checks ran after an access error: “Integrations add-on active” failed"
    assert looks(event) == "bad"


def test_an_unknown_action_still_reads() -> None:
    event = Event(AT, "action", "kari", "org.frobnicate", None, {"x": 1})
    assert tell(event) == "org.frobnicate {'x': 1}"


def _at(seconds: int) -> dt.datetime:
    return AT - dt.timedelta(seconds=seconds)


def test_a_run_of_chunks_delivered_again_reads_as_one_line() -> None:
    events = [
        Event(_at(1), "chunk_redelivered", subject="2024-03-01 – 2024-04-01", note="2"),
        Event(_at(2), "chunk_redelivered", subject="2024-02-01 – 2024-03-01", note="4"),
        Event(_at(3), "chunk_redelivered", subject="2024-01-01 – 2024-02-01", note="2"),
        Event(_at(4), "year_started", subject="2024", note="900"),
    ]
    shown = condense(events)
    assert [e.kind for e in shown] == ["chunk_redelivered", "year_started"]
    assert tell(shown[0]) == (
        "3 chunks ran again, up to the 4th delivery (2024-01-01 – 2024-02-01 and 2 more): "
        "a worker stopped or Tripletex failed, so it was taken up again"
    )
    assert shown[0].at == _at(1), "the run keeps its newest time"


def test_one_chunk_delivered_again_says_which_delivery_and_why() -> None:
    event = Event(AT, "chunk_redelivered", subject="2025-02-01 – 2025-03-01", note="2")
    assert tell(event) == (
        "Chunk 2025-02-01 – 2025-03-01 ran again (2nd delivery): a worker stopped or Tripletex "
        "failed, so it was taken up again"
    )
    assert "retried" not in tell(event)


def test_a_repeated_event_is_shown_once_and_a_chunk_s_job_does_not_repeat_its_failure() -> None:
    error = "Tripletex answered 500 Internal Server Error three times"
    failed = Event(_at(5), "chunk_failed", subject="2024-03-01 – 2024-04-01", note=error)
    job = Event(_at(5), "job_failed", "import_chunk", "UpstreamError", error, {"job_id": 9})
    other = Event(_at(6), "job_failed", "reconcile_year", "PermanentJobError", "differs", {})
    assert condense([failed, failed, job, other]) == (failed, other)


def test_an_unknown_kind_reads_as_words_not_as_its_name() -> None:
    assert tell(Event(AT, "year_cancelled", subject="2024")) == "Year cancelled 2024"
