-- outbox: follow-up messages staged in the writer's transaction, relayed after commit.

-- name: outbox_stage
-- Stage a message in the caller's transaction (one already waiting is kept); its id, or none.
INSERT INTO outbox (actor, args) VALUES ($1, $2)
ON CONFLICT (actor, args) DO NOTHING
RETURNING id;

-- name: outbox_claim
-- Committed messages to send now: those of the ids $1, or ($1 NULL) all staged more than $2 s
-- ago, oldest first, at most $3; locked, skipping those another relay is sending.
SELECT id, actor, args FROM outbox
WHERE CASE WHEN $1::bigint[] IS NULL
           THEN created_at < now() - make_interval(secs => $2)
           ELSE id = any($1::bigint[]) END
ORDER BY id
LIMIT $3
FOR UPDATE SKIP LOCKED;

-- name: outbox_delete
-- Messages sent: gone from the outbox.
DELETE FROM outbox WHERE id = any($1::bigint[]);

-- name: outbox_waiting
-- How many messages wait in the outbox, and the age of the oldest in seconds.
SELECT count(*) AS waiting,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_s
FROM outbox;
