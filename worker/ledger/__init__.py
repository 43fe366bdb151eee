"""The general ledger beside the postings, from the API (issue 20): the registers postings point
to (masterdata.py: chart of accounts, voucher and VAT types, customers, suppliers, employees,
departments, projects, products, free dimensions; refreshed once per sync by its own actor), and
each year's balances as the API states them (balances.py: `/balanceSheet`, stored and proven
through shared/ledger/proof.py where the year is reconciled).

The pure halves are worker/tripletex/registers.py (what each register is asked and how its
objects read) and worker/tripletex/protocol.py (`parse_balance`); SQL is shared/db/queries/
ledger.sql.

The postings' `*_id` columns are logical keys into the master tables, not foreign keys: the
registers are listed beside the chunks, not before them, so a posting may name a customer (or
project, ...) created at the source after its register was read; a foreign key would fail that
posting's whole chunk, or make the merge insert placeholder rows in its hot path. After a sync
every id resolves (tests/pipeline/test_ledger.py checks it) but one created at the source while
the sync ran, which the next sync's refresh lists; join on (org_id, id).
"""
