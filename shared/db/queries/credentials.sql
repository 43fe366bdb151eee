-- credentials: an organization's (encrypted) token and session; key_check: the stored check
-- that the encryption key is the one the tokens were written with.

-- name: credentials_insert
-- Store an organization's encrypted employee token.
INSERT INTO credentials (org_id, employee_token, token_fingerprint) VALUES ($1, $2, $3);

-- name: credentials_replace_token
-- Replace the employee token; the old session and who-owns-it are forgotten.
UPDATE credentials
SET employee_token = $2, token_fingerprint = $3, session_token = NULL, session_expires = NULL,
    session_generation = session_generation + 1, employee_id = NULL,
    actual_employee_id = NULL, token_company_id = NULL, validated_at = NULL, updated_at = now()
WHERE org_id = $1;

-- name: credentials_unfingerprinted
-- Stored tokens without a fingerprint yet (stored before fingerprints were).
SELECT org_id, employee_token FROM credentials WHERE token_fingerprint IS NULL ORDER BY org_id;

-- name: credentials_set_fingerprint
-- A stored token's fingerprint, unless the token was replaced (and fingerprinted) meanwhile.
UPDATE credentials SET token_fingerprint = $3
WHERE org_id = $1 AND employee_token = $2 AND token_fingerprint IS NULL;

-- name: credentials_by_org
-- An organization's credentials (encrypted).
SELECT org_id, employee_token, token_fingerprint, session_token, session_expires,
       session_generation, employee_id, actual_employee_id, token_company_id, validated_at
FROM credentials WHERE org_id = $1;

-- name: key_check_get
-- The stored key check, if any.
SELECT ciphertext FROM key_check;

-- name: key_check_insert
-- Store the key check once.
INSERT INTO key_check (ciphertext) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: credentials_lock
-- An organization's credentials, locked so one worker at a time renews the session.
SELECT org_id, employee_token, token_fingerprint, session_token, session_expires,
       session_generation
FROM credentials WHERE org_id = $1 FOR UPDATE;

-- name: credentials_store_session
-- Keep a new (encrypted) session token.
UPDATE credentials
SET session_token = $2, session_expires = $3, session_generation = $4, updated_at = now()
WHERE org_id = $1;

-- name: credentials_store_owner
-- Remember whom the token belongs to (who-am-I).
UPDATE credentials
SET employee_id = $2, actual_employee_id = $3, token_company_id = $4, validated_at = now(),
    updated_at = now()
WHERE org_id = $1;
