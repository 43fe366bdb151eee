"""Timeline lines (pure): what an operator reads of each event."""

from __future__ import annotations

import datetime as dt

import pytest

from tui.story import looks, tell
from tui.views import Event

AT = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("detail", "line"),
    [
        ({"company_id": 102, "company_name": "Nordvik Bygg AS"},
         "Chose company Nordvik Bygg AS (#102); first sync started"),
        ({"company_id": 102}, "Chose company #102; first sync started"),
    ],
)  # fmt: skip
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
