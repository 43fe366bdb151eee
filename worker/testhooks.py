"""Hooks for tests that need a worker to misbehave; inert unless their variable is set.

LEDGERSYNC_TEST_CRASH_ON_CHUNK_DATE=YYYY-MM-DD makes a worker process die at once (no
exception, no cleanup: as if killed) whenever it starts on a chunk holding that date. The
delivery-cap test uses it; nothing else sets it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

#: the variable naming the date whose chunk kills its worker
CRASH_ON_CHUNK_DATE = "LEDGERSYNC_TEST_CRASH_ON_CHUNK_DATE"
#: the exit status of a process the hook killed
CRASH_EXIT_CODE = 70


def crash_if_asked(start: dt.date, end: dt.date) -> None:
    """Die now if the test asked for chunks holding a date in [start, end)."""
    raw = os.environ.get(CRASH_ON_CHUNK_DATE)
    if raw and start <= dt.date.fromisoformat(raw) < end:
        sys.stderr.write(f"{CRASH_ON_CHUNK_DATE}={raw}: this worker process dies now.\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)
