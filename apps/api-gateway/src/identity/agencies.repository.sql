-- Agencies (`dispatch.agencies`): name, status and the settings document (one JSONB, validated by
-- `agencySettingsSchema` before it is written; `settings_version` is the ETag).

-- name: find
SELECT * FROM dispatch.agencies WHERE id = $1;

-- name: ensure
INSERT INTO dispatch.agencies (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
ON CONFLICT (id) DO NOTHING;

-- name: rename
UPDATE dispatch.agencies SET name = $2, updated_at = $3 WHERE id = $1 RETURNING *;

-- A new agency with its settings; no row when the id is taken.
-- name: create
INSERT INTO dispatch.agencies (id, name, settings, settings_version, settings_updated_at,
  created_at, updated_at)
VALUES ($1, $2, $3, 1, $4, $4, $4)
ON CONFLICT (id) DO NOTHING RETURNING *;

-- name: list
SELECT * FROM dispatch.agencies
WHERE ($2::text IS NULL OR id > $2) AND ($3::text IS NULL OR status = $3)
ORDER BY id LIMIT $1;

-- Reads and row-locks an agency inside the caller's transaction.
-- name: lock
SELECT * FROM dispatch.agencies WHERE id = $1 FOR UPDATE;

-- name: set_status
UPDATE dispatch.agencies
SET status = $2::text, status_reason = $3::text,
  suspended_at = CASE WHEN $2::text = 'suspended' THEN $4::timestamptz ELSE NULL END,
  updated_at = $4::timestamptz
WHERE id = $1 RETURNING *;

-- name: set_settings
UPDATE dispatch.agencies
SET settings = $2, settings_version = settings_version + 1, settings_updated_at = $3,
  updated_at = $3
WHERE id = $1 RETURNING *;

-- The users of an agency (their sessions end when it is suspended).
-- name: user_ids
SELECT id FROM dispatch.users WHERE agency_id = $1 ORDER BY id;
