"""Stub."""

from __future__ import annotations

from tui.screens.base import LiveScreen


class JobsScreen(LiveScreen):
    """Stub."""

    def __init__(self, org_id: int | None = None) -> None:
        super().__init__()
        self.org_id = org_id
