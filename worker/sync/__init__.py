"""Syncing an organization's ledger from the API: plan, import, reconcile, resume, keep fresh.

`plan` decides, without I/O, which years and ranges to ask for; `importer` plans them into chunks
and imports each leased chunk; `progress` sends more chunks and closes years as chunks end;
`store` writes a chunk's pages with its state; `reconcile` checks a year's sums against
Tripletex's; `resumption` picks a cancelled sync up again; `settlement` settles what a job that
stopped for good leaves behind; `scheduler` keeps synced organizations fresh and sends lost work
again.
"""
