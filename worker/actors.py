"""Dramatiq actors: thin wrappers that take ids (never tokens) and call the pipeline.

Import this module only after `worker.broker.build_broker` set the broker.
"""

from __future__ import annotations

import dramatiq
from dramatiq.actor import ActorDecorator

from shared.errors import PermanentJobError
from worker import importer, onboarding, reconcile
from worker.checks_runner import check_org
from worker.checks_store import Trigger
from worker.resources import current

#: retries of a failing message, with exponential backoff between them
MAX_RETRIES = 5
MIN_BACKOFF_MS = 2_000
MAX_BACKOFF_MS = 120_000


def _actor(queue_name: str) -> ActorDecorator:
    """Our actors' options: bounded retries with backoff; permanent errors are not retried."""
    return dramatiq.actor(
        queue_name=queue_name,
        max_retries=MAX_RETRIES,
        min_backoff=MIN_BACKOFF_MS,
        max_backoff=MAX_BACKOFF_MS,
        throws=(PermanentJobError,),
    )


@_actor("onboarding")
async def validate_token(org_id: int) -> None:
    """Validate the token, discover companies, and start the import when the company is known."""
    await onboarding.validate_and_continue(current(), org_id)


@_actor("onboarding")
async def plan_sync(org_id: int, year: int | None = None) -> None:
    """Plan the years into chunks and send the first ones."""
    await onboarding.guarded(current(), org_id, importer.plan_sync(current(), org_id, year))


@_actor("chunks")
async def import_chunk(chunk_id: int) -> None:
    """Import one chunk of postings."""
    await importer.import_chunk(current(), chunk_id)


@_actor("onboarding")
async def reconcile_year(org_id: int, year: int) -> None:
    """Compare a finished year with the API's sums."""
    await onboarding.guarded(current(), org_id, reconcile.reconcile_year(current(), org_id, year))


@dramatiq.actor(queue_name="onboarding", max_retries=0)
async def run_checks(org_id: int) -> None:
    """Run and store the troubleshooting checks for the terminal UI (it never imports `worker`)."""
    res = current()
    async with res.pool.acquire() as conn:
        await check_org(
            conn, res.http, res.settings, res.access.cipher, org_id, trigger=Trigger.TUI
        )
