"""Dramatiq actors that validate tokens, discover companies and import ledgers."""
