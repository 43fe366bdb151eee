"""A worker line dies whole: every Dramatiq process dies with the `ledgersync worker` above it.

`ledgersync worker` runs Dramatiq in a session of its own, so that a terminal's Ctrl-C reaches
Dramatiq once, passed on. That also puts Dramatiq out of reach of a process manager that
SIGKILLs `ledgersync worker` or its process group: left alone, Dramatiq's main process and its
worker processes would live on as orphans, taking messages with the configuration they started
with. So each process of the line is tied to the one that started it:

- On Linux the kernel SIGKILLs a process whose parent dies (`PR_SET_PDEATHSIG`). Dramatiq's
  main process asks for it between fork and exec (`ledgersync worker` starts it with
  `die_with_parent`), each worker process when Dramatiq imports this module in it; so a kill
  runs down the whole line at once.
- Everywhere, a thread in each worker process looks once a second at its parent and at the
  line's head (`ledgersync worker`, named by LEDGERSYNC_WORKER_LINE_PID), and SIGKILLs its own
  process when either is gone. This covers systems without `PR_SET_PDEATHSIG`, where Dramatiq's
  main process then stops because its worker processes died.

A killed line dies as its head did, at once: what it held comes back as a killed worker's
always does (the other workers hand its unacknowledged messages back once its heartbeat timed
out: worker.takeover). A stop is unchanged: `ledgersync worker` passes SIGTERM on and waits, so
the grace period is kept and nothing fires.
Exec'ing Dramatiq in place of `ledgersync worker` would not do: its worker processes would still
outlive a SIGKILLed main process, and the embedded servers this process counts itself a user of
(`shared.embedded`) would never be released.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

import psutil
import structlog

#: names the line's head (the `ledgersync worker` process) to the Dramatiq processes it starts
HEAD_PID_ENV = "LEDGERSYNC_WORKER_LINE_PID"
#: seconds between two looks at the parent and the head
POLL_S = 1.0
#: prctl's option: the signal this process gets when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1

logger = structlog.get_logger(__name__)

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when `parent` dies (Linux); die now if it has."""
    if _libc is not None and _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent:  # it died before the kernel was asked
        os.kill(os.getpid(), signal.SIGKILL)


def watch(parent: int, head: int | None = None) -> threading.Thread:
    """Die with `parent` (at once on Linux) and with `head`; the thread that looks each second."""
    die_with_parent(parent)
    try:
        watched = [psutil.Process(pid) for pid in dict.fromkeys((parent, head)) if pid]
    except psutil.NoSuchProcess:
        watched = []
    thread = threading.Thread(target=_poll, args=(watched,), name="parent-watch", daemon=True)
    thread.start()
    return thread


def _poll(watched: list[psutil.Process]) -> None:
    while watched and all(_alive(process) for process in watched):
        time.sleep(POLL_S)
    logger.warning("worker_line_gone", watched=[process.pid for process in watched])
    os.kill(os.getpid(), signal.SIGKILL)


def _alive(process: psutil.Process) -> bool:
    """True while the process runs: not gone, its pid not reused, and not a zombie."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _watch_if_in_a_worker_line() -> None:
    """In a Dramatiq worker process started by `ledgersync worker`: watch its parent and head."""
    head = os.environ.get(HEAD_PID_ENV)
    parent = multiprocessing.parent_process()
    if head and parent is not None and parent.pid is not None:
        watch(parent.pid, int(head))


# `ledgersync worker` names this module to Dramatiq, which imports it in every worker process
_watch_if_in_a_worker_line()
