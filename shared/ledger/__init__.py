"""The general ledger as books, not only postings: the trial balance that proves a year against
the source's own balances (pure; the tables and their import live elsewhere)."""
