"""Dramatiq actors: thin wrappers that take ids (never tokens) and call the pipeline.

Import this module only after `worker.broker.build_broker` set the broker. How a failed actor
is retried (by cause) is the `JobFailures` middleware's business (worker/retry_policy.py); a
worker stopping while an actor runs sends its message again (`Resources.in_flight`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import dramatiq

from shared.queue import send
from worker import onboarding
from worker.checks.runner import Checker, check_org
from worker.checks.store import Trigger
from worker.freshness import polls
from worker.ledger import masterdata
from worker.resources import Resources, current
from worker.sync import importer, reconcile, resumption
from worker.webhooks import deliveries, subscriptions

#: an actor's work, given the process's resources
Work = Callable[[Resources], Awaitable[None]]


async def _run(actor: str, args: tuple[int | None, ...], work: Work) -> None:
    """Run an actor's work; a worker stopping meanwhile sends its message again (hands it back)."""
    res = current()
    await res.in_flight.run(lambda: work(res), lambda: send(res.broker, actor, *args))


@dramatiq.actor(queue_name="onboarding")
async def validate_token(org_id: int) -> None:
    """Validate the token, discover companies, and start the import when the company is known."""
    await _run(
        "validate_token", (org_id,), lambda res: onboarding.validate_and_continue(res, org_id)
    )


@dramatiq.actor(queue_name="onboarding")
async def plan_sync(org_id: int, year: int | None = None) -> None:
    """Plan the years into chunks and send the first ones."""
    await _run(
        "plan_sync",
        (org_id, year),
        lambda res: onboarding.guarded(res, org_id, importer.plan_sync(res, org_id, year)),
    )


@dramatiq.actor(queue_name="chunks")
async def import_chunk(chunk_id: int) -> None:
    """Import one chunk of postings; a failed or stopped attempt hands the chunk back."""
    await _run("import_chunk", (chunk_id,), lambda res: importer.import_chunk(res, chunk_id))


@dramatiq.actor(queue_name="onboarding")
async def reconcile_year(org_id: int, year: int) -> None:
    """Compare a finished year with the API's sums."""
    await _run(
        "reconcile_year",
        (org_id, year),
        lambda res: onboarding.guarded(res, org_id, reconcile.reconcile_year(res, org_id, year)),
    )


@dramatiq.actor(queue_name="onboarding")
async def refresh_registers(org_id: int) -> None:
    """Refresh the registers postings point to (chart of accounts, customers, ...), once a sync."""
    await _run(
        "refresh_registers",
        (org_id,),
        lambda res: onboarding.guarded(res, org_id, masterdata.refresh_registers(res, org_id)),
    )


@dramatiq.actor(queue_name="onboarding")
async def poll_org(org_id: int, nightly: bool = False, full: bool = False) -> None:
    """Probe the organization's recent ranges, tonight's (nightly) or every one (full), and
    import again what changed."""
    await _run(
        "poll_org",
        (org_id, nightly, full),
        lambda res: onboarding.guarded(res, org_id, polls.poll_org(res, org_id, nightly, full)),
    )


@dramatiq.actor(queue_name="onboarding")
async def run_checks(org_id: int) -> None:
    """Run and store the troubleshooting checks for the terminal UI (it never imports `worker`)."""
    res = current()
    async with res.pool.acquire() as conn:
        checker = Checker(res.http, res.settings, res.access.cipher)
        await check_org(conn, checker, org_id, trigger=Trigger.TUI)


@dramatiq.actor(queue_name="onboarding")
async def resume_sync(org_id: int) -> None:
    """Continue a cancelled organization's sync where it stopped."""
    await _run(
        "resume_sync",
        (org_id,),
        lambda res: onboarding.guarded(res, org_id, resumption.resume(res, org_id)),
    )


@dramatiq.actor(queue_name="onboarding")
async def apply_deliveries(org_id: int) -> None:
    """Apply the organization's waiting webhook deliveries (a burst is one job)."""
    await _run(
        "apply_deliveries",
        (org_id,),
        lambda res: deliveries.apply_deliveries(res, org_id),
    )


@dramatiq.actor(queue_name="onboarding")
async def care_webhooks(org_id: int) -> None:
    """One active webhook subscription per voucher event; disabled ones made again."""

    async def work(res: Resources) -> None:
        await onboarding.guarded(res, org_id, subscriptions.care_webhooks(res, org_id))

    await _run("care_webhooks", (org_id,), work)


@dramatiq.actor(queue_name="onboarding")
async def remove_webhooks(row_id: int) -> None:
    """Delete a removed organization's webhook subscription at Tripletex."""
    await _run("remove_webhooks", (row_id,), lambda res: subscriptions.remove_webhooks(res, row_id))
