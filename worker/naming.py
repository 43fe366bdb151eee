"""Each worker process writes its readable name at boot: host, pid, slot, queues, threads."""

from __future__ import annotations

import os
import socket
import time

import dramatiq
import redis
import structlog
from dramatiq.middleware import Middleware

from shared import worker_names
from shared.queue import QUEUES

#: the slot of its line a worker process runs in (`2/4`), set by worker.line
WORKER_SLOT_ENV = "LEDGERSYNC_WORKER_SLOT"

logger = structlog.get_logger(__name__)


def own_name(worker: dramatiq.Worker) -> worker_names.WorkerName:
    """What this process is: host, pid, its line's slot, the queues it takes from, threads."""
    queues = tuple(sorted(worker.consumer_whitelist or QUEUES))
    return worker_names.WorkerName(
        host=socket.gethostname(),
        pid=os.getpid(),
        slot=os.environ.get(WORKER_SLOT_ENV) or None,
        queues=queues,
        threads=worker.worker_threads,
        since=time.time(),
    )


class WorkerNaming(Middleware):
    """Writes the process's name under its broker id, so operators see it instead of a UUID."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        client = getattr(broker, "client", None)
        worker_id = getattr(broker, "broker_id", None)
        if client is None or worker_id is None:  # a stub broker in tests
            return
        try:
            worker_names.register(client, worker_id, own_name(worker))
        except redis.RedisError as exc:  # a name is a courtesy: the worker runs without it
            logger.warning("worker_name_not_written", error=str(exc))
