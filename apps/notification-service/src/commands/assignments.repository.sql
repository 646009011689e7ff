-- Assignments as notification-service follows them (`notify.assignments`): one row per
-- assignment.created, settled when the ladder must stop.

-- name: insert_assignment
INSERT INTO notify.assignments (agency_id, assignment_id, incident_id, unit_id, priority, created_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING assignment_id;

-- name: find_assignment
SELECT * FROM notify.assignments WHERE agency_id = $1 AND assignment_id = $2;

-- name: settle_assignment
UPDATE notify.assignments SET settled_at = $3, settled_reason = $4
 WHERE agency_id = $1 AND assignment_id = $2 AND settled_at IS NULL RETURNING assignment_id;

-- name: unsettled_assignments_of_incident
SELECT assignment_id FROM notify.assignments
 WHERE agency_id = $1 AND incident_id = $2 AND settled_at IS NULL;
