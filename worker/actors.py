"""Dramatiq actors: thin wrappers that take ids (never tokens) and call the pipeline.

Import this module only after `worker.broker.build_broker` set the broker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import dramatiq
from dramatiq.actor import ActorDecorator

from shared.errors import PermanentJobError
from shared.queue import send
from worker import importer, onboarding, reconcile
from worker.resources import Resources, current

#: an actor's work, given the process's resources
Work = Callable[[Resources], Awaitable[None]]

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


async def _run(actor: str, args: tuple[int | None, ...], work: Work) -> None:
    """Run an actor's work; a worker stopping meanwhile sends its message again (hands it back)."""
    res = current()
    await res.in_flight.run(lambda: work(res), lambda: send(res.broker, actor, *args))


@_actor("onboarding")
async def validate_token(org_id: int) -> None:
    """Validate the token, discover companies, and start the import when the company is known."""
    await _run(
        "validate_token", (org_id,), lambda res: onboarding.validate_and_continue(res, org_id)
    )


@_actor("onboarding")
async def plan_sync(org_id: int, year: int | None = None) -> None:
    """Plan the years into chunks and send the first ones."""
    await _run(
        "plan_sync", (org_id, year),
        lambda res: onboarding.guarded(res, org_id, importer.plan_sync(res, org_id, year)),
    )  # fmt: skip


@_actor("chunks")
async def import_chunk(chunk_id: int) -> None:
    """Import one chunk of postings."""
    await _run("import_chunk", (chunk_id,), lambda res: importer.import_chunk(res, chunk_id))


@_actor("onboarding")
async def reconcile_year(org_id: int, year: int) -> None:
    """Compare a finished year with the API's sums."""
    await _run(
        "reconcile_year", (org_id, year),
        lambda res: onboarding.guarded(res, org_id, reconcile.reconcile_year(res, org_id, year)),
    )  # fmt: skip
