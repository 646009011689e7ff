-- Sessions (`dispatch.sessions`), scoped by agency.

-- name: insert
INSERT INTO dispatch.sessions (id, agency_id, user_id, authenticated_at, expires_at, ip,
  user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- Revokes one session; a row when it was live.
-- name: revoke
UPDATE dispatch.sessions SET revoked_at = $3, revoked_reason = $4
WHERE agency_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id;

-- Revokes every live session of a user (except $5, when given).
-- name: revoke_of_user
UPDATE dispatch.sessions SET revoked_at = $3, revoked_reason = $4
WHERE agency_id = $1 AND user_id = $2 AND revoked_at IS NULL
  AND ($5::uuid IS NULL OR id <> $5::uuid)
RETURNING id;

-- name: is_revoked
SELECT revoked_at IS NOT NULL AS revoked FROM dispatch.sessions
WHERE agency_id = $1 AND id = $2;
