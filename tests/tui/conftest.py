"""Fixtures for the terminal UI's tests: a fixed clock zone, the fake source, the pipeline."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import pytest_textual_snapshot
from pipeline_fixtures import pipeline, scenario

__all__ = ["pipeline", "scenario"]

# pytest-textual-snapshot 1.0 names its extension with syrupy's old `_file_extension`; syrupy 7
# reads `file_extension`, so without this the SVG snapshots are written as `.raw` files.
pytest_textual_snapshot.SVGImageExtension.file_extension = "svg"


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Times on screen in UTC, so snapshots do not depend on the machine's zone."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()
