"""Readable names for worker processes: host, pid, slot of its line, queues.

Dramatiq knows a worker by its broker id (a UUID) in its heartbeats; each worker process writes
what it is under that id at boot (worker/middleware.py), and `shared.status.workers` reads it
beside the heartbeats, so operators see `box-1 pid 4242 slot 2/4` instead of a UUID.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import redis

from shared.queue import HEARTBEATS, QUEUES

#: the hash of broker id -> what the worker process is (JSON)
KEY = "ledgersync:worker_names"
#: seconds a name without a heartbeat is kept (a worker booting has not beaten yet)
FORGET_AFTER_S = 300.0


@dataclass(frozen=True, slots=True)
class WorkerName:
    """What a worker process is, as it said at boot."""

    host: str
    pid: int
    #: its slot in its line (`2/4`), None when not started by `ledgersync worker`
    slot: str | None = None
    #: the queues it takes work from
    queues: tuple[str, ...] = QUEUES
    threads: int | None = None
    #: when it booted (epoch seconds)
    since: float = 0.0

    def label(self) -> str:
        """`box-1 pid 4242 slot 2/4`, with its queues when it takes from only some."""
        parts = [self.host, f"pid {self.pid}"]
        if self.slot:
            parts.append(f"slot {self.slot}")
        if set(self.queues) != set(QUEUES):
            parts.append("(" + ", ".join(self.queues) + ")")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """As `status --json` shows it (and as stored)."""
        return asdict(self) | {"queues": list(self.queues)}

    @classmethod
    def from_json(cls, found: dict[str, Any]) -> WorkerName:
        """Back from `to_json`; unknown keys are left out (a newer worker wrote them)."""
        return cls(
            host=str(found["host"]),
            pid=int(found["pid"]),
            slot=found.get("slot"),
            queues=tuple(found.get("queues") or QUEUES),
            threads=found.get("threads"),
            since=float(found.get("since") or 0.0),
        )


def unnamed(worker_id: str) -> str:
    """The label of a worker that wrote no name: the start of its id."""
    return f"worker {worker_id[:8]}"


def register(client: redis.Redis, worker_id: str, name: WorkerName) -> None:
    """Write the worker's name, and forget names whose worker is long gone from the heartbeats."""
    client.hset(KEY, worker_id, json.dumps(name.to_json()))
    stored: dict[bytes, bytes] = client.hgetall(KEY)  # type: ignore[assignment]
    now = time.time()
    gone = []
    for key, raw in stored.items():
        if key.decode() == worker_id or client.zscore(HEARTBEATS, key) is not None:
            continue
        if now - _since(raw) > FORGET_AFTER_S:
            gone.append(key)
    if gone:
        client.hdel(KEY, *gone)


def names(client: redis.Redis, worker_ids: Sequence[str]) -> dict[str, WorkerName]:
    """The names these workers wrote (one round trip); a worker that wrote none is left out."""
    if not worker_ids:
        return {}
    found: list[bytes | None] = client.hmget(KEY, list(worker_ids))  # type: ignore[assignment]
    named = {}
    for worker_id, raw in zip(worker_ids, found, strict=True):
        if raw is not None:
            try:
                named[worker_id] = WorkerName.from_json(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                continue
    return named


def _since(raw: bytes) -> float:
    try:
        return float(json.loads(raw).get("since") or 0.0)
    except (ValueError, AttributeError, TypeError):
        return 0.0
