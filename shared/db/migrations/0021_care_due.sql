-- Issue 21: the webhook subscriptions' care has a clock of its own (hourly), apart from the
-- checksum polls (rarer where webhooks deliver every change).
ALTER TABLE freshness ADD COLUMN care_due_at timestamptz;
