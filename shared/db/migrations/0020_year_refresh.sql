-- Issue 21: a year imported again because a poll found it changed at Tripletex (a refresh) may
-- differ from Tripletex's sums only because it changed again meanwhile; such a year is settled
-- synced with its difference (not proven), and the next poll imports it again, instead of
-- failing the organization, which would stop the polls that would have mended it.
ALTER TABLE sync_years ADD COLUMN refreshing boolean NOT NULL DEFAULT false;
