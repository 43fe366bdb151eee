"""Fixtures for end-to-end pipeline tests (the harness is in tests/support/pipeline_harness.py)."""

from __future__ import annotations

from pipeline_fixtures import pipeline, scenario

__all__ = ["pipeline", "scenario"]
