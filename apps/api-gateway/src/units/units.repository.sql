-- Units (`dispatch.units`). Every statement is scoped by agency; retired units are gone.

-- name: insert
INSERT INTO dispatch.units (id, agency_id, call_sign, type, capabilities, crew)
VALUES ($1, $2, $3, $4, $5::text[], $6::text[])
RETURNING id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at;

-- name: find_by_id
SELECT id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at
FROM dispatch.units
 WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL;

-- The active unit a user crews, if any (the newest when several list them).
-- name: find_crewed_by
SELECT id FROM dispatch.units
 WHERE agency_id = $1 AND $2 = ANY (crew) AND retired_at IS NULL
 ORDER BY created_at DESC LIMIT 1;

-- Reads and row-locks a unit inside the caller's transaction.
-- name: lock
SELECT id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at
FROM dispatch.units
 WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL
 FOR NO KEY UPDATE;

-- name: list
SELECT id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at
FROM dispatch.units
 WHERE agency_id = $1 AND retired_at IS NULL
   AND ($2::text[] IS NULL OR status = ANY($2::text[]))
   AND ($3::text IS NULL OR type = $3)
   AND ($4::text IS NULL OR id > $4)
 ORDER BY id
 LIMIT $5;

-- name: update
WITH changed AS (
  UPDATE dispatch.units SET
   call_sign = COALESCE($3, call_sign),
   type = COALESCE($4, type),
   capabilities = COALESCE($5::text[], capabilities),
   crew = COALESCE($6::text[], crew),
   updated_at = now()
 WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL
 RETURNING *
)
SELECT id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at
FROM changed;

-- name: set_status
WITH changed AS (
  UPDATE dispatch.units SET status = $3, status_changed_at = now(), updated_at = now()
  WHERE agency_id = $1 AND id = $2
  RETURNING *
)
SELECT id, agency_id, call_sign, type, capabilities, crew, status, status_changed_at,
  created_at, updated_at
FROM changed;

-- The unit's open (not declined or cleared) assignment, if any.
-- name: open_assignment_of
SELECT id FROM dispatch.assignments
 WHERE agency_id = $1 AND unit_id = $2 AND status NOT IN ('declined', 'cleared');

-- name: retire
UPDATE dispatch.units SET retired_at = now(), updated_at = now()
 WHERE agency_id = $1 AND id = $2 AND retired_at IS NULL;

-- Which of these ids are active units of the agency.
-- name: existing_ids
SELECT id FROM dispatch.units
 WHERE agency_id = $1 AND id = ANY ($2::text[]) AND retired_at IS NULL;
