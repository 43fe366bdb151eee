"""Hooks for tests that need a worker to misbehave; inert unless their variable is set.

LEDGERSYNC_TEST_CRASH_ON_CHUNK_DATE=YYYY-MM-DD makes a worker process die at once (no
exception, no cleanup: as if killed) whenever it starts on a chunk holding that date. The
delivery-cap test uses it; nothing else sets it.

LEDGERSYNC_TEST_CRASH_AFTER_COMMIT=ACTOR makes a worker process die right after committing a
step whose follow-up is a message for ACTOR, before sending it: the outbox test uses it.

LEDGERSYNC_TEST_SAFT_HOLD=PATH holds every SAF-T import after its first batch is stored (its
progress written) for as long as PATH exists: the crash-cap test kills its worker there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

#: the variable naming the date whose chunk kills its worker
CRASH_ON_CHUNK_DATE = "LEDGERSYNC_TEST_CRASH_ON_CHUNK_DATE"
#: the variable naming the actor whose follow-up message its stager dies before sending
CRASH_AFTER_COMMIT = "LEDGERSYNC_TEST_CRASH_AFTER_COMMIT"
#: the variable naming the file whose existence holds SAF-T imports after their first batch
SAFT_HOLD = "LEDGERSYNC_TEST_SAFT_HOLD"
#: the exit status of a process the hook killed
CRASH_EXIT_CODE = 70


def crash_if_asked(start: dt.date, end: dt.date) -> None:
    """Die now if the test asked for chunks holding a date in [start, end)."""
    raw = os.environ.get(CRASH_ON_CHUNK_DATE)
    if raw and start <= dt.date.fromisoformat(raw) < end:
        sys.stderr.write(f"{CRASH_ON_CHUNK_DATE}={raw}: this worker process dies now.\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)


def crash_after_commit(actor: str) -> None:
    """Die now if the test asked to lose the sending of `actor`'s message after its commit."""
    if os.environ.get(CRASH_AFTER_COMMIT) == actor:
        sys.stderr.write(f"{CRASH_AFTER_COMMIT}={actor}: this worker process dies now.\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)


def saft_hold_asked() -> bool:
    """Whether the test asked to hold SAF-T imports (and the hold is still on)."""
    path = os.environ.get(SAFT_HOLD)
    return path is not None and os.path.exists(path)


async def hold_saft_if_asked() -> None:
    """Wait while the test's hold file exists."""
    while saft_hold_asked():  # noqa: ASYNC110 - a file another process removes: nothing to await
        await asyncio.sleep(0.1)
