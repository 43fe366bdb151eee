-- Issue 21: when each organization's next checksum poll of its recent ranges is due. The
-- scheduler's claim moves it (several schedulers may run); `recent_checked_at` stays what the
-- cockpit shows, the last poll that actually ran.
ALTER TABLE freshness ADD COLUMN poll_due_at timestamptz;
