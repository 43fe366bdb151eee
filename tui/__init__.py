"""The operators' terminal UI (Textual)."""
