-- Issue 18: an organization's last error has a time and goes once it recovers; a token is told
-- apart by a fingerprint, not by its last four characters (the same for every Tripletex token).

ALTER TABLE organizations ADD COLUMN last_error_at timestamptz;
-- the best time known for an error stored before: the organization's last change
UPDATE organizations SET last_error_at = updated_at WHERE last_error IS NOT NULL;
-- organizations synced since their error have recovered: the error goes to the audit log
INSERT INTO audit_log (actor, action, org_id, detail)
SELECT 'ledgersync', 'org.recovered', id,
       jsonb_build_object('error', last_error, 'error_at', last_error_at)
FROM organizations WHERE state = 'synced' AND last_error IS NOT NULL;
UPDATE organizations SET last_error = NULL, last_error_at = NULL
WHERE state = 'synced' AND last_error IS NOT NULL;

-- Every writer of last_error gets its time here, and every move into 'synced' (the organization
-- recovered) clears the error, leaving it in the audit log (the timeline): no code path can
-- forget either.
CREATE FUNCTION organizations_last_error() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last_error IS NOT NULL AND NEW.last_error IS DISTINCT FROM OLD.last_error THEN
        NEW.last_error_at := now();
    END IF;
    IF NEW.state = 'synced' AND OLD.state <> 'synced' AND NEW.last_error IS NOT NULL THEN
        INSERT INTO audit_log (actor, action, org_id, detail)
        VALUES ('ledgersync', 'org.recovered', NEW.id,
                jsonb_build_object('error', NEW.last_error, 'error_at', NEW.last_error_at));
        NEW.last_error := NULL;
        NEW.last_error_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER organizations_last_error BEFORE UPDATE OF state, last_error ON organizations
FOR EACH ROW EXECUTE FUNCTION organizations_last_error();

-- A keyed fingerprint (shared/crypto.py) needs the secret key, which SQL has not: the old hints
-- go, and a worker starting with the key (or `ledgersync db migrate` given it) fingerprints
-- the stored tokens.
ALTER TABLE credentials RENAME COLUMN token_hint TO token_fingerprint;
ALTER TABLE credentials ALTER COLUMN token_fingerprint DROP NOT NULL;
UPDATE credentials SET token_fingerprint = NULL;
