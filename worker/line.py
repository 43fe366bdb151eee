"""The worker line: one Dramatiq per slot, supervised, so that one process's death stops no other.

Dramatiq's own main process shuts every worker process down when one of them dies, and a file
or a chunk that kills its process (the kernel's out-of-memory killer, a crash in a C library)
would then stop every customer's work, on every redelivery. So `ledgersync worker --processes N`
runs N Dramatiqs of one worker process each and watches them: a slot whose process died is
logged, its unacknowledged messages are handed back to their queues at once (others would wait
for its heartbeat to time out: worker.takeover), and it is started again, the others untouched.
A slot that keeps dying is restarted after a growing pause; one that dies at its first start
before it ever took a message (it cannot boot) stops the line with its exit code, as before. A
slot that ends while the line stops is handed back too: it may have died by itself just before.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import redis
import structlog

from shared.queue import HEARTBEATS
from worker.naming import WORKER_SLOT_ENV
from worker.parent_watch import die_with_parent
from worker.takeover import hand_back

#: names a slot's Dramatiq broker id, so that the line can hand back what a dead slot held
WORKER_ID_ENV = "LEDGERSYNC_WORKER_ID"
#: seconds a slot must live for its next death to restart it at once
STEADY_S = 60.0
#: the longest pause before restarting a slot that keeps dying
MAX_PAUSE_S = 60.0
#: seconds between looks at the slots
POLL_S = 0.2

logger = structlog.get_logger(__name__)


@dataclass
class Slot:
    """One Dramatiq of one worker process, and how it has fared."""

    index: int
    process: subprocess.Popen[bytes] | None = None
    worker_id: str = ""
    started_at: float = 0.0
    starts: int = 0
    quick_deaths: int = 0
    restart_at: float | None = None
    exit_code: int | None = None


def restart_pause(quick_deaths: int) -> float:
    """Seconds before restarting a slot after its `quick_deaths`-th quick death in a row: the
    first at once, then 1 s, doubling up to a minute."""
    return 0.0 if quick_deaths <= 1 else min(2.0 ** (quick_deaths - 2), MAX_PAUSE_S)


def exit_text(code: int) -> str:
    """A process's exit status in words: 'killed by SIGKILL', 'exit code 70'."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclass
class Line:
    """N supervised slots running `command`; `run()` until stopped, then the exit code."""

    command: Sequence[str]
    env: dict[str, str]
    slots: list[Slot]
    redis_url: str
    stopping: bool = False
    clock: Callable[[], float] = time.monotonic
    _boot_failure: int | None = field(default=None, init=False)

    @classmethod
    def of(cls, command: Sequence[str], env: dict[str, str], processes: int) -> Line:
        return cls(command, env, [Slot(i) for i in range(processes)], env["LEDGERSYNC_REDIS_URL"])

    def start(self, slot: Slot) -> None:
        """Start (or start again) one slot's Dramatiq in a session of its own, dying with us."""
        slot.worker_id = str(uuid.uuid4())
        own = {
            WORKER_ID_ENV: slot.worker_id,
            WORKER_SLOT_ENV: f"{slot.index + 1}/{len(self.slots)}",
        }
        slot.process = subprocess.Popen(
            list(self.command),
            env=self.env | own,
            start_new_session=True,
            preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509
        )
        slot.started_at, slot.restart_at = self.clock(), None
        slot.starts += 1

    def stop(self, signum: int) -> None:
        """Pass a stop signal on to every slot; none is restarted from now on."""
        self.stopping = True
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                slot.process.send_signal(signum)

    def run(self) -> int:
        """Supervise until every slot ended after a stop (or one could not boot)."""
        for slot in self.slots:
            self.start(slot)
        while True:
            for slot in self.slots:
                self._look_at(slot)
            if self._boot_failure is not None and not self.stopping:
                self.stop(signal.SIGTERM)
            if self.stopping and all(slot.exit_code is not None for slot in self.slots):
                codes = [slot.exit_code or 0 for slot in self.slots]
                return self._boot_failure or next((code for code in codes if code), 0)
            time.sleep(POLL_S)

    def _look_at(self, slot: Slot) -> None:
        assert slot.process is not None
        if slot.restart_at is not None:  # died, waiting to start again
            if self.stopping:
                slot.exit_code = 0
            elif self.clock() >= slot.restart_at:
                self.start(slot)
            return
        code = slot.process.poll()
        if code is None or slot.exit_code is not None:
            return
        if self.stopping:
            slot.exit_code = code
            self._ended(slot, code)
            return
        self._died(slot, code)

    def _ended(self, slot: Slot, code: int) -> None:
        """A slot ended after a stop: a clean stop left nothing unacknowledged, but one that died
        by itself meanwhile (before this line saw it die) did, and nobody else hands it back
        until its heartbeat times out (worker.takeover)."""
        handed = self._hand_back(slot.worker_id)
        if handed:
            logger.warning(
                "worker_process_ended_holding_messages",
                slot=slot.index,
                status=exit_text(code),
                messages_handed_back=handed,
            )

    def _died(self, slot: Slot, code: int) -> None:
        lived = self.clock() - slot.started_at
        if slot.starts == 1 and not self._heard_from(slot.worker_id):
            slot.exit_code = self._boot_failure = code or 1
            logger.error("worker_process_failed_to_boot", slot=slot.index, status=exit_text(code))
            return
        slot.quick_deaths = slot.quick_deaths + 1 if lived < STEADY_S else 0
        pause = restart_pause(slot.quick_deaths)
        handed = self._hand_back(slot.worker_id)
        logger.error(
            "worker_process_died",
            slot=slot.index,
            pid=slot.process.pid if slot.process else None,
            status=exit_text(code),
            lived_s=round(lived, 1),
            messages_handed_back=handed,
            restart_in_s=pause,
        )
        slot.restart_at = self.clock() + pause

    def _heard_from(self, worker_id: str) -> bool:
        """Whether the slot's worker process ever took messages (its heartbeat is in Redis);
        True when Redis cannot say (a slot is counted booted rather than the line stopped)."""
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=5)
        try:
            return client.zscore(HEARTBEATS, worker_id) is not None
        except redis.RedisError:
            return True
        finally:
            client.close()

    def _hand_back(self, worker_id: str) -> int | None:
        """Hand back what the dead slot held; None when Redis cannot be reached (every worker
        process's sweep does it once the heartbeat times out: worker.takeover)."""
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=5)
        try:
            return hand_back(client, worker_id)
        except redis.RedisError:
            return None
        finally:
            client.close()
