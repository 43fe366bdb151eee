"""`ledgersync scheduler`'s options: the polls' intervals, the night, the deprecated --interval."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from cli.scheduler import _clock, _schedule

DEFAULTS = {
    "poll_interval": None,
    "interval": None,
    "webhook_poll_interval": 10800.0,
    "care_interval": 3600.0,
    "webhooks": True,
    "nightly_at": dt.time(2, 0),
    "nightly_window": 14400.0,
    "requeue_after": 300.0,
    "tick": 10.0,
}


def test_defaults_and_the_deprecated_interval(capsys: pytest.CaptureFixture[str]) -> None:
    schedule = _schedule(DEFAULTS)
    assert (schedule.poll_interval_s, schedule.webhook_poll_interval_s) == (900.0, 10800.0)
    assert schedule.care_interval_s == 3600.0
    assert _schedule({**DEFAULTS, "webhooks": False}).care_interval_s is None
    assert (schedule.night.at, schedule.night.window_s) == (dt.time(2, 0), 14400.0)
    assert _schedule({**DEFAULTS, "interval": 60.0}).poll_interval_s == 60.0
    assert "deprecated" in capsys.readouterr().err
    assert _schedule({**DEFAULTS, "poll_interval": 30.0, "interval": 60.0}).poll_interval_s == 30.0


def test_nightly_at_is_hh_mm() -> None:
    assert _clock(None, None, "03:30") == dt.time(3, 30)  # type: ignore[arg-type]
    with pytest.raises(click.BadParameter):
        _clock(None, None, "half past three")  # type: ignore[arg-type]
