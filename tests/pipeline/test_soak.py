"""Soak: the fault tests of issue 6, each run again and again (slow: left out of CI, which runs
each of them once).

    .venv/bin/python -m pytest -m slow tests/pipeline/test_soak.py     # 10 rounds
    LEDGERSYNC_SOAK_ROUNDS=3 .venv/bin/python -m pytest -m slow tests/pipeline/test_soak.py

A fault test that passes once can still race; ten rounds of each is what "repeatedly" means in
the issue. The tests themselves live in their own modules; this file only repeats them.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pipeline_harness import Pipeline

ROUNDS = int(os.environ.get("LEDGERSYNC_SOAK_ROUNDS", "10"))
HERE = Path(__file__).parent

#: (module, test) of every fault test issue 6 asks for
FAULT_TESTS = [
    ("test_recovery", "test_a_worker_killed_mid_import_is_replaced"),
    ("test_recovery", "test_redis_emptied_mid_import"),
    ("test_recovery", "test_database_connections_dropped_mid_import"),
    ("test_recovery", "test_every_tripletex_fault_at_once_under_the_rate_limit"),
    ("test_recovery", "test_a_stopped_worker_hands_back_what_it_holds"),
    ("test_lost_work", "test_a_chunk_that_always_crashes_its_worker_fails_after_the_delivery_cap"),
    ("test_lost_work", "test_cancel_stops_between_chunks_and_resume_continues_where_it_stopped"),
    ("test_jobs", "test_retry_all_of_one_organization_recovers_it_and_leaves_the_other_failed"),
    ("test_secrets", "test_no_token_in_redis_logs_or_the_database"),
]


def _module(name: str) -> ModuleType:
    """A test module of this folder, loaded under another name (so pytest does not collect its
    tests twice)."""
    spec = importlib.util.spec_from_file_location(f"soak_{name}", HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test(module: str, name: str) -> Callable[..., Awaitable[None]]:
    found: Callable[..., Awaitable[None]] = getattr(_module(module), name)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(1, ROUNDS + 1), ids=lambda n: f"round{n}")
@pytest.mark.parametrize(("module", "name"), FAULT_TESTS, ids=[name for _, name in FAULT_TESTS])
async def test_fault_test_again(
    pipeline: Pipeline,
    record_property: Callable[[str, object], None],
    module: str,
    name: str,
    round_: int,
) -> None:
    test = _test(module, name)
    wants: dict[str, Any] = {"record_property": record_property}
    extra = {k: v for k, v in wants.items() if k in test.__code__.co_varnames}
    await test(pipeline, **extra)
