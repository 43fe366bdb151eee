"""Dramatiq actors: thin wrappers that take ids (never tokens) and call the pipeline.

Import this module only after `worker.broker.build_broker` set the broker. How a failed actor
is retried (by cause) is the `JobFailures` middleware's business (worker/retry_policy.py).
"""

from __future__ import annotations

import uuid

import dramatiq

from worker import failures, importer, onboarding, reconcile, resumption
from worker.checks_runner import check_org
from worker.checks_store import Trigger
from worker.resources import current


@dramatiq.actor(queue_name="onboarding")
async def validate_token(org_id: int) -> None:
    """Validate the token, discover companies, and start the import when the company is known."""
    await onboarding.validate_and_continue(current(), org_id)


@dramatiq.actor(queue_name="onboarding")
async def plan_sync(org_id: int, year: int | None = None) -> None:
    """Plan the years into chunks and send the first ones."""
    await onboarding.guarded(current(), org_id, importer.plan_sync(current(), org_id, year))


@dramatiq.actor(queue_name="chunks")
async def import_chunk(chunk_id: int) -> None:
    """Import one chunk of postings; a failed attempt hands the chunk back for its retry."""
    owner = uuid.uuid4()
    try:
        await importer.import_chunk(current(), chunk_id, owner)
    except Exception as exc:
        await failures.release_chunk(current(), chunk_id, owner, exc)
        raise


@dramatiq.actor(queue_name="onboarding")
async def reconcile_year(org_id: int, year: int) -> None:
    """Compare a finished year with the API's sums."""
    await onboarding.guarded(current(), org_id, reconcile.reconcile_year(current(), org_id, year))


@dramatiq.actor(queue_name="onboarding")
async def run_checks(org_id: int) -> None:
    """Run and store the troubleshooting checks for the terminal UI (it never imports `worker`)."""
    res = current()
    async with res.pool.acquire() as conn:
        await check_org(
            conn, res.http, res.settings, res.access.cipher, org_id, trigger=Trigger.TUI
        )


@dramatiq.actor(queue_name="onboarding")
async def resume_sync(org_id: int) -> None:
    """Continue a cancelled organization's sync where it stopped."""
    await onboarding.guarded(current(), org_id, resumption.resume(current(), org_id))
