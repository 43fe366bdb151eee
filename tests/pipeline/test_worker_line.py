"""A worker line dies whole: killed, its Dramatiq processes die with it; stopped, they stop. One of
its worker processes dying alone is restarted alone (worker.line)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import redis
from pipeline_harness import CLI, Pipeline, poll

from cli.worker import STOP_MARGIN_S
from shared import status
from worker.parent_watch import HEAD_PID_ENV, POLL_S

ROOT = Path(__file__).resolve().parents[2]
#: Dramatiq worker processes of the line under test
PROCESSES = 2
#: `ledgersync worker`, and per slot a Dramatiq main process with its worker process
TREE_SIZE = 1 + 2 * PROCESSES
#: how soon the rest of a killed line must be gone
DIES_WITHIN_S = 5.0
#: seconds a line may take to start and have every worker process consume
STARTS_WITHIN_S = 60.0
GRACE_S = 2.0


async def start_line(pipeline: Pipeline, *options: str) -> asyncio.subprocess.Process:
    """`ledgersync worker` in a process group of its own, as a process manager starts it."""
    log = (pipeline.log_dir / f"line-{len(pipeline.workers)}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLI,
        "worker",
        "--processes",
        str(PROCESSES),
        "--threads",
        "2",
        *options,
        env=pipeline.env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    pipeline.workers.append(process)  # stopped at the end of the test if it still runs
    pipeline.logs[process.pid] = Path(log.name)
    return process


async def started_tree(
    pipeline: Pipeline, line: asyncio.subprocess.Process
) -> list[psutil.Process]:
    """The line's processes, once every worker process of it takes messages from Redis."""
    client = redis.Redis.from_url(pipeline.env["LEDGERSYNC_REDIS_URL"])
    root = psutil.Process(line.pid)

    async def up() -> list[psutil.Process] | None:
        assert line.returncode is None, pipeline.log_of(line)[-2000:]
        tree = [root, *root.children(recursive=True)]
        consuming = await asyncio.to_thread(lambda: status.alive(status.workers(client)))
        return tree if len(tree) >= TREE_SIZE and len(consuming) >= PROCESSES else None

    try:
        return await poll("the line's worker processes to consume", up, within=STARTS_WITHIN_S)
    finally:
        client.close()


def running(tree: list[psutil.Process]) -> list[psutil.Process]:
    """The processes of `tree` that still run (a zombie has died: it only awaits its reaping)."""
    left = []
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(process)
    return left


async def assert_all_gone(tree: list[psutil.Process], within: float) -> None:
    """Every process of `tree` ends within `within` seconds."""

    async def gone() -> bool:
        return not running(tree)

    await poll(f"every process of {[p.pid for p in tree]} to end", gone, within=within, every=0.05)


@contextlib.contextmanager
def no_orphans(tree: list[psutil.Process]) -> Iterator[None]:
    """Whatever the test finds, leave none of `tree` running behind it."""
    try:
        yield
    finally:
        for process in running(tree):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


async def test_a_killed_worker_line_takes_its_dramatiq_processes_with_it(
    pipeline: Pipeline,
) -> None:
    line = await start_line(pipeline)
    tree = await started_tree(pipeline, line)

    with no_orphans(tree):
        os.kill(line.pid, signal.SIGKILL)
        await line.wait()
        await assert_all_gone(tree, DIES_WITHIN_S)


async def test_a_killed_process_group_takes_the_whole_line(pipeline: Pipeline) -> None:
    line = await start_line(pipeline)
    tree = await started_tree(pipeline, line)

    with no_orphans(tree):
        os.killpg(line.pid, signal.SIGKILL)  # what a process manager does to a line
        await line.wait()
        await assert_all_gone(tree, DIES_WITHIN_S)


async def test_sigterm_still_stops_the_line_gracefully(pipeline: Pipeline) -> None:
    line = await start_line(pipeline, "--grace", str(GRACE_S))
    tree = await started_tree(pipeline, line)

    with no_orphans(tree):
        line.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(line.wait(), GRACE_S + STOP_MARGIN_S)
        assert code == 0, pipeline.log_of(line)[-2000:]
        await assert_all_gone(tree, DIES_WITHIN_S)
    log = pipeline.log_of(line)
    assert "Stopping worker process" in log, "the worker processes were not stopped by SIGTERM"
    assert "worker_line_gone" not in log, "a stopping line's processes thought it dead"


def worker_processes(line: asyncio.subprocess.Process) -> dict[int, psutil.Process]:
    """The line's Dramatiq worker processes (one per slot's Dramatiq), by pid."""
    found = {}
    for main in psutil.Process(line.pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):  # a slot that just died
            found |= {p.pid: p for p in main.children() if running([p])}
    return found


async def test_a_dead_worker_process_is_restarted_alone(pipeline: Pipeline) -> None:
    line = await start_line(pipeline)
    tree = await started_tree(pipeline, line)

    with no_orphans(tree):
        victim, survivor = worker_processes(line).values()
        os.kill(victim.pid, signal.SIGKILL)

        async def restarted() -> dict[int, psutil.Process] | None:
            found = await asyncio.to_thread(worker_processes, line)
            return found if len(found) == PROCESSES and victim.pid not in found else None

        found = await poll("the slot restarted", restarted, within=STARTS_WITHIN_S)
        tree += [p for p in psutil.Process(line.pid).children(recursive=True) if p not in tree]
        assert survivor.pid in found, "the other worker process was left alone"
        assert line.returncode is None
        await started_tree(pipeline, line)  # both consume again
    log = pipeline.log_of(line)
    assert log.count('"worker_process_died"') == 1, log[-3000:]
    assert "killed" in log or "exit code" in log


# the look each second, alone: what ends a worker process where PR_SET_PDEATHSIG does not exist
HEAD = (
    "import os, subprocess, sys\n"
    f"os.environ['{HEAD_PID_ENV}'] = str(os.getpid())\n"
    "subprocess.run(sys.argv[1:])\n"
)
UNWATCHED_MIDDLE = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', sys.argv[1]])\n"
    "time.sleep(600)\n"
)
POLLING_WORKER = (
    "import os, time\n"
    "from worker import parent_watch\n"
    "parent_watch._libc = None\n"
    f"parent_watch.watch(os.getppid(), int(os.environ['{HEAD_PID_ENV}']))\n"
    "time.sleep(600)\n"
)


def wait_for(what: str, check: Callable[[], bool], within: float) -> None:
    """Poll `check()` until it holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_without_pdeathsig_a_worker_process_still_dies_with_the_line_head() -> None:
    head = subprocess.Popen(
        [sys.executable, "-c", HEAD, sys.executable, "-c", UNWATCHED_MIDDLE, POLLING_WORKER],
        cwd=ROOT,
        start_new_session=True,
    )
    root = psutil.Process(head.pid)
    tree: list[psutil.Process] = []
    with no_orphans(tree):
        wait_for("head, middle and worker", lambda: len(root.children(recursive=True)) >= 2, 30)
        [middle] = root.children()
        [worker] = middle.children()
        tree += [middle, worker]
        wait_for("the worker's watch", lambda: worker.num_threads() >= 2, 30)

        head.kill()
        head.wait()
        wait_for("the worker to die", lambda: not running([worker]), POLL_S + DIES_WITHIN_S)
        assert running([middle]), "the middle process was not left to the worker's own watch"
