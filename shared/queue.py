"""Sending work to the workers by actor name, without importing the worker package.

Messages carry ids only, never a token: they sit in Redis as plain JSON.
"""

from __future__ import annotations

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

#: the queue of each actor: onboarding steps never wait behind thousands of chunks
ACTOR_QUEUES = {
    "validate_token": "onboarding",
    "plan_sync": "onboarding",
    "reconcile_year": "onboarding",
    "refresh_registers": "onboarding",
    "import_chunk": "chunks",
    "resume_sync": "onboarding",
    "run_checks": "onboarding",
    # issue 21: checksum polls and webhooks, small jobs, never behind the chunks
    "poll_org": "onboarding",
    "apply_deliveries": "onboarding",
    "care_webhooks": "onboarding",
    "remove_webhooks": "onboarding",
    # long-running file imports on a queue of their own: they never hold up the API pipeline
    "import_saft": "saft",
}
#: Dramatiq's Redis key namespace (RedisBroker's default)
NAMESPACE = "dramatiq"
#: every queue the workers consume
QUEUES = tuple(sorted(set(ACTOR_QUEUES.values())))
#: Dramatiq's sorted set of worker heartbeats (broker id -> last heartbeat, ms)
HEARTBEATS = f"{NAMESPACE}:__heartbeats__"
#: milliseconds a worker may go silent before it counts as dead: its messages go to others, and
#: the status and the cockpit stop counting it as alive
HEARTBEAT_TIMEOUT_MS = 60_000


#: broker ids of senders start so: Dramatiq's Redis script records a "heartbeat" for every
#: broker that enqueues, and `shared.status.workers` must not count senders as workers
SENDER_PREFIX = "sender-"


def sender(redis_url: str) -> RedisBroker:
    """A broker good for sending only (no worker middleware), known as a sender in Redis."""
    broker = RedisBroker(url=redis_url, middleware=[])  # type: ignore[no-untyped-call]
    broker.broker_id = SENDER_PREFIX + broker.broker_id
    return broker


def send(
    broker: RedisBroker, actor_name: str, *args: int | str | None, delay_ms: int | None = None
) -> str:
    """Enqueue one message for `actor_name` (after `delay_ms`, if given); return its id."""
    message: Message[None] = Message(
        queue_name=ACTOR_QUEUES[actor_name],
        actor_name=actor_name,
        args=args,
        kwargs={},
        options={},
    )
    return broker.enqueue(message, delay=delay_ms).message_id
