"""What the Dramatiq CLI loads in every worker process: settings, logging, broker, actors.

`ledgersync worker` runs `dramatiq worker.app --skip-logging ...` with the servers' URLs in the
environment; this module's import is the only import-time side effect of the worker package.
"""

from __future__ import annotations

import os

from shared.config import Settings
from shared.logging import configure_logging
from worker.broker import build_broker
from worker.line import WORKER_ID_ENV
from worker.resources import WorkerOptions
from worker.retry_policy import RetryPolicy

settings = Settings.from_env()
configure_logging(settings)
broker = build_broker(settings, WorkerOptions.from_env(os.environ), policy=RetryPolicy.from_env())
# the id its line knows this process by (worker.line hands back what a dead one held)
broker.broker_id = os.environ.get(WORKER_ID_ENV) or broker.broker_id

from worker import actors  # noqa: E402,F401 - declares the actors on the broker above
from worker.saft import actors as saft_actors  # noqa: E402,F401 - the SAF-T actor, likewise
