-- Platform operators (`dispatch.platform_operators`): accounts of no agency.

-- name: find_by_username
SELECT * FROM dispatch.platform_operators WHERE lower(username) = lower($1);

-- name: any
SELECT EXISTS (SELECT 1 FROM dispatch.platform_operators) AS exists;

-- Serialises the creation of the first operator across replicas booting together.
-- name: lock_bootstrap
SELECT pg_advisory_xact_lock(hashtext('dispatch.platform_operators.bootstrap'));

-- name: insert
INSERT INTO dispatch.platform_operators (id, username, password_hash, created_at, updated_at)
VALUES ($1, lower($2), $3, $4, $4)
ON CONFLICT DO NOTHING RETURNING *;

-- name: record_login
UPDATE dispatch.platform_operators SET last_login_at = $2 WHERE id = $1;
