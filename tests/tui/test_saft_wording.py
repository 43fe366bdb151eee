"""A SAF-T organization's screen speaks of files, not of the API (issue 17)."""

from __future__ import annotations

import datetime as dt

from tui import story
from tui.views import Event

SYNCED = Event(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "year_synced", subject="2025")


def test_a_year_stored_from_a_file_is_not_reconciled_with_tripletex() -> None:
    assert "Tripletex" not in story.tell(SYNCED, "saft")
    assert story.tell(SYNCED, "saft") == "Year 2025 stored from the SAF-T file: matches its totals"
    assert story.tell(SYNCED) == "Year 2025 reconciled with Tripletex: synced"
