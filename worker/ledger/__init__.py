"""The general ledger beside the postings, from the API (issue 20): the registers postings point
to (masterdata.py: chart of accounts, voucher and VAT types, customers, suppliers, employees,
departments, projects, products, free dimensions; refreshed once per sync by its own actor), and
each year's balances as the API states them (balances.py: `/balanceSheet`, stored and proven
through shared/ledger/proof.py where the year is reconciled).

The pure halves are worker/tripletex/registers.py (what each register is asked and how its
objects read) and worker/tripletex/protocol.py (`parse_balance`); SQL is shared/db/queries/
ledger.sql.
"""
