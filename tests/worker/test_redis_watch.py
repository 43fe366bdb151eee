"""The back-off of a worker whose Redis is away, and the Dramatiq lines it takes over (pure)."""

from __future__ import annotations

import itertools
import logging
import threading

import pytest

from worker.redis_watch import ConnectionLines, backoff_steps, redis_address


def test_the_steps_double_from_one_second_to_a_minute_and_stay_there() -> None:
    assert list(itertools.islice(backoff_steps(), 9)) == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_the_address_names_host_port_and_database_never_the_password() -> None:
    assert redis_address("redis://:hunter2@10.0.0.5:6380/3") == "10.0.0.5:6380/3"
    assert redis_address("redis://localhost") == "localhost:6379/0"


@pytest.mark.parametrize(
    "line",
    [
        "Consumer encountered a connection error: Error 111 connecting to 127.0.0.1:6391.",
        "Restarting consumer in 3.00 seconds.",
        "Failed to post_process_message(%s) due to a connection error: %s\nRetrying in %d s",
    ],
)
def test_dramatiqs_connection_lines_are_dropped_and_reported(line: str) -> None:
    trouble = threading.Event()
    record = logging.LogRecord("dramatiq.worker.ConsumerThread(chunks)", 50, "", 0, line, (), None)

    assert ConnectionLines(trouble).filter(record) is False
    assert trouble.is_set()


def test_other_lines_pass_and_report_nothing() -> None:
    trouble = threading.Event()
    record = logging.LogRecord("dramatiq.worker", 20, "", 0, "Worker is ready.", (), None)

    assert ConnectionLines(trouble).filter(record) is True
    assert not trouble.is_set()
