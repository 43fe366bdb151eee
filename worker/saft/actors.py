"""The SAF-T import actor: takes an import id (the file's path is in Postgres, never in Redis).

Import this module only after `worker.broker.build_broker` set the broker.
"""

from __future__ import annotations

import dramatiq

from worker.resources import current
from worker.saft import importer

#: milliseconds one import may run: a set of parts may hold tens of gigabytes
TIME_LIMIT_MS = 12 * 3600 * 1000
#: milliseconds before an import waiting for another of its organization looks again
BUSY_RETRY_MS = 30_000


# retried by cause like every actor (worker/retry_policy.py): refused files are not retried
@dramatiq.actor(queue_name="saft", time_limit=TIME_LIMIT_MS)
async def import_saft(import_id: int) -> None:
    """Read, check and store one submitted SAF-T file (or split set)."""
    resources = current()
    try:
        await importer.import_saft(
            resources.pool,
            resources.settings.home,
            import_id,
            worker_id=resources.worker_id,
            alive=await resources.alive_workers(),
        )
    except importer.Busy as exc:
        raise dramatiq.Retry(str(exc), delay=BUSY_RETRY_MS) from exc
