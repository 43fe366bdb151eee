"""Importing a SAF-T file in the worker: the actor, the import, and its store.

`actors` takes an import id from the `saft` queue; `importer` reads the file (with the reader in
`shared.saft`) on a thread of its own (`on_thread`), checks it and swaps it into `postings` in
one transaction, through `store`. Submitting a file is `shared.saft.submit`'s.
"""
