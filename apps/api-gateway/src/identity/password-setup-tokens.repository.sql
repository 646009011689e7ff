-- One-time set-password tokens (`dispatch.password_setup_tokens`), stored as SHA-256 digests.

-- name: insert
INSERT INTO dispatch.password_setup_tokens (token_hash, agency_id, user_id, issued_at, expires_at)
VALUES ($1, $2, $3, $4, $5);

-- Spends a token: a row (its user) only when it was unused and not expired.
-- name: spend
UPDATE dispatch.password_setup_tokens SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING agency_id, user_id;
