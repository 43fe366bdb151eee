-- Issue 21: each posting keeps its voucher's version as Tripletex sent it, so a range's first
-- checksum probe can be compared with the data we hold (its vouchers' ids and versions), not
-- only recorded: a change made between an import and that first probe is found too.
-- Postings imported before this migration hold NULL: their ranges are imported once more at
-- their first probe.
ALTER TABLE postings ADD COLUMN voucher_version bigint;
