-- When a job waiting for a retry runs again (issue 18): the retry policy's delay, from the failed
-- attempt that set it; NULL while the job is not waiting for a timed retry.
ALTER TABLE jobs ADD COLUMN next_retry_at timestamptz;
