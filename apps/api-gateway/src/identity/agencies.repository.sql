-- Agencies (`dispatch.agencies`).

-- name: find
SELECT * FROM dispatch.agencies WHERE id = $1;

-- name: ensure
INSERT INTO dispatch.agencies (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
ON CONFLICT (id) DO NOTHING;

-- name: rename
UPDATE dispatch.agencies SET name = $2, updated_at = $3 WHERE id = $1 RETURNING *;
