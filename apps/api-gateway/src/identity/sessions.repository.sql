-- Sessions (`dispatch.sessions`), scoped by agency.

-- name: insert
INSERT INTO dispatch.sessions (id, agency_id, user_id, authenticated_at, expires_at, ip,
  user_agent, amr, idle_timeout_seconds, last_used_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4);

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

-- Adds an authentication method the session proved (TOTP confirmed during it).
-- name: add_method
UPDATE dispatch.sessions SET amr = array_append(amr, $3)
WHERE agency_id = $1 AND id = $2 AND NOT ($3 = ANY (amr));

-- A refresh used the session now (idle timeout).
-- name: touch
UPDATE dispatch.sessions SET last_used_at = $3 WHERE agency_id = $1 AND id = $2;

-- The live sessions of a user (not revoked, not past their maximum age), newest first.
-- name: list_live
SELECT id, authenticated_at, COALESCE(last_used_at, authenticated_at) AS last_used_at, expires_at,
       ip, user_agent, amr
FROM dispatch.sessions
WHERE agency_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
ORDER BY authenticated_at DESC
LIMIT 100;

-- name: owner_of
SELECT user_id FROM dispatch.sessions WHERE agency_id = $1 AND id = $2 AND revoked_at IS NULL;
