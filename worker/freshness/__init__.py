"""Keeping a synced organization fresh without fetching it again in full (issue 21).

ranges.py (pure: the month ranges an organization's vouchers are probed in, halving those too
large), nightly.py (pure: when each organization's nightly pass is due, spread per token),
polls.py (the `poll_org` job: checksum probes of the recent ranges, or of every range at night,
a changed range re-imported through the normal chunk path; the nightly pass's proof, registers and
subscription care), store.py (its reads and writes of `poll_ranges` and `freshness`).
"""
