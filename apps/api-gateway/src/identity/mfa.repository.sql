-- TOTP secrets (`dispatch.user_mfa`) and recovery codes (`dispatch.user_recovery_codes`, SHA-256
-- digests), scoped by agency.

-- name: find
SELECT user_id, agency_id, totp_secret, confirmed_at, last_step
FROM dispatch.user_mfa WHERE agency_id = $1 AND user_id = $2;

-- A new unconfirmed secret, replacing an unconfirmed one; nothing when a confirmed one exists.
-- name: start
INSERT INTO dispatch.user_mfa (user_id, agency_id, totp_secret, created_at)
VALUES ($2, $1, $3, $4)
ON CONFLICT (user_id) DO UPDATE SET totp_secret = EXCLUDED.totp_secret,
  created_at = EXCLUDED.created_at, last_step = 0
WHERE dispatch.user_mfa.confirmed_at IS NULL AND dispatch.user_mfa.agency_id = $1
RETURNING user_id;

-- Locks the row of a code check (so one time step is accepted once).
-- name: lock
SELECT user_id, agency_id, totp_secret, confirmed_at, last_step
FROM dispatch.user_mfa WHERE agency_id = $1 AND user_id = $2 FOR UPDATE;

-- name: accept_step
UPDATE dispatch.user_mfa SET last_step = $3,
  confirmed_at = COALESCE(confirmed_at, $4)
WHERE agency_id = $1 AND user_id = $2;

-- name: delete
DELETE FROM dispatch.user_mfa WHERE agency_id = $1 AND user_id = $2 RETURNING user_id;

-- name: delete_recovery_codes
DELETE FROM dispatch.user_recovery_codes WHERE agency_id = $1 AND user_id = $2;

-- name: insert_recovery_codes
INSERT INTO dispatch.user_recovery_codes (code_hash, user_id, agency_id)
SELECT unnest($3::bytea[]), $2, $1;

-- Uses a recovery code once; a row when it was unused.
-- name: use_recovery_code
UPDATE dispatch.user_recovery_codes SET used_at = $4
WHERE agency_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL
RETURNING user_id;

-- name: recovery_codes_left
SELECT count(*)::int AS n FROM dispatch.user_recovery_codes
WHERE agency_id = $1 AND user_id = $2 AND used_at IS NULL;

-- Secrets not sealed with the current key (stored before sealing, or with an earlier key), by
-- user id after $3.
-- name: find_unsealed
SELECT user_id, agency_id, totp_secret
FROM dispatch.user_mfa WHERE totp_secret NOT LIKE $1 || '%' AND user_id::text > $3
ORDER BY user_id::text LIMIT $2;

-- Replaces a stored secret by its sealed form, only while it is still what was read.
-- name: replace_secret
UPDATE dispatch.user_mfa SET totp_secret = $4
WHERE agency_id = $1 AND user_id = $2 AND totp_secret = $3;
