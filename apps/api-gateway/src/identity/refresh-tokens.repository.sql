-- Refresh tokens (`dispatch.refresh_tokens`), stored by SHA-256 digest.

-- name: insert
INSERT INTO dispatch.refresh_tokens (token_hash, session_id, agency_id, issued_at)
VALUES ($1, $2, $3, $4);

-- Pre-authentication lookup of a refresh token by digest, locking it and its session.
-- name: lock
SELECT t.session_id, t.used_at, s.agency_id, s.user_id, s.expires_at, s.revoked_at,
       s.amr, COALESCE(s.last_used_at, s.authenticated_at) AS last_used_at,
       s.idle_timeout_seconds, u.status AS user_status, u.roles, a.status AS agency_status
FROM dispatch.refresh_tokens t
JOIN dispatch.sessions s ON s.id = t.session_id
JOIN dispatch.users u ON u.id = s.user_id AND u.agency_id = s.agency_id
JOIN dispatch.agencies a ON a.id = s.agency_id
WHERE t.token_hash = $1
FOR UPDATE OF t, s;

-- name: mark_used
UPDATE dispatch.refresh_tokens SET used_at = $2 WHERE token_hash = $1;
