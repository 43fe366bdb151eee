"""Stub."""

from __future__ import annotations

from textual.screen import ModalScreen


class RegisterScreen(ModalScreen[int | None]):
    """Stub."""
