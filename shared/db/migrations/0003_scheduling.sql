-- When the scheduler next re-syncs a synced organization.
ALTER TABLE organizations ADD COLUMN next_sync_at timestamptz;
