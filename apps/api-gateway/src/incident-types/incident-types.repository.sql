-- The incident type catalogue (`dispatch.incident_types`), per agency.

-- name: insert
INSERT INTO dispatch.incident_types (agency_id, code, name_es, name_en, default_priority, plan)
VALUES ($1, $2, $3, $4, $5, $6::jsonb)
ON CONFLICT (agency_id, code) DO NOTHING
RETURNING *;

-- name: find
SELECT * FROM dispatch.incident_types WHERE agency_id = $1 AND code = $2;

-- Case-insensitive lookup of an incident's type (incidents keep the code as typed).
-- name: find_active_by_code
SELECT * FROM dispatch.incident_types
 WHERE agency_id = $1 AND code = lower($2) AND active;

-- name: list
SELECT * FROM dispatch.incident_types WHERE agency_id = $1 ORDER BY code;

-- Null keeps a field.
-- name: update
UPDATE dispatch.incident_types SET
   name_es = COALESCE($3, name_es),
   name_en = COALESCE($4, name_en),
   default_priority = COALESCE($5, default_priority),
   plan = COALESCE($6::jsonb, plan),
   active = COALESCE($7, active),
   version = version + 1,
   updated_at = now()
 WHERE agency_id = $1 AND code = $2
RETURNING *;
