-- Assignments (`dispatch.assignments`), read with their unit's call sign and crew. Every
-- statement is scoped by agency.

-- name: insert
INSERT INTO dispatch.assignments
  (id, agency_id, incident_id, unit_id, status, steps, recommendation, created_by)
VALUES ($1, $2, $3, $4, 'proposed', jsonb_build_object('proposed', now()), $5::jsonb, $6);

-- name: find_by_id
SELECT a.id, a.agency_id, a.incident_id, a.unit_id, u.call_sign, u.crew, a.status,
    a.steps, a.decline_reason, a.recommendation, a.created_by, a.created_at, a.updated_at
  FROM dispatch.assignments a JOIN dispatch.units u ON u.id = a.unit_id
 WHERE a.agency_id = $1 AND a.id = $2;

-- The incident of an assignment (never changes), read without a lock to lock in order.
-- name: incident_of
SELECT incident_id FROM dispatch.assignments WHERE agency_id = $1 AND id = $2;

-- name: lock
SELECT a.id, a.agency_id, a.incident_id, a.unit_id, u.call_sign, u.crew, a.status,
    a.steps, a.decline_reason, a.recommendation, a.created_by, a.created_at, a.updated_at
  FROM dispatch.assignments a JOIN dispatch.units u ON u.id = a.unit_id
 WHERE a.agency_id = $1 AND a.id = $2 FOR NO KEY UPDATE OF a;

-- name: list_by_incident
SELECT a.id, a.agency_id, a.incident_id, a.unit_id, u.call_sign, u.crew, a.status,
    a.steps, a.decline_reason, a.recommendation, a.created_by, a.created_at, a.updated_at
  FROM dispatch.assignments a JOIN dispatch.units u ON u.id = a.unit_id
 WHERE a.agency_id = $1 AND a.incident_id = $2 ORDER BY a.created_at, a.id;

-- Open assignments of an incident, locked (the caller holds the incident lock).
-- name: lock_open_by_incident
SELECT a.id, a.agency_id, a.incident_id, a.unit_id, u.call_sign, u.crew, a.status,
    a.steps, a.decline_reason, a.recommendation, a.created_by, a.created_at, a.updated_at
  FROM dispatch.assignments a JOIN dispatch.units u ON u.id = a.unit_id
 WHERE a.agency_id = $1 AND a.incident_id = $2
   AND a.status NOT IN ('declined', 'cleared')
 ORDER BY a.created_at, a.id
 FOR NO KEY UPDATE OF a;

-- Sets the status and stamps the step's time (the caller holds the row lock).
-- name: set_status
UPDATE dispatch.assignments SET
   status = $3,
   steps = steps || jsonb_build_object($3::text, now()),
   decline_reason = COALESCE($4, decline_reason),
   updated_at = now()
 WHERE agency_id = $1 AND id = $2;
