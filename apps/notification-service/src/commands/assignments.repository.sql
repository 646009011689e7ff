-- Assignments as notification-service follows them (`notify.assignments`): one row per
-- assignment.created, settled when the ladder must stop.

-- Stored with its commands in one statement: commands.repository.sql, issue_assignment_commands.

-- name: find_assignment
SELECT * FROM notify.assignments WHERE agency_id = $1 AND assignment_id = $2;

-- name: settle_assignment
UPDATE notify.assignments SET settled_at = $3, settled_reason = $4
 WHERE agency_id = $1 AND assignment_id = $2 AND settled_at IS NULL RETURNING assignment_id;

-- name: unsettled_assignments_of_incident
SELECT assignment_id FROM notify.assignments
 WHERE agency_id = $1 AND incident_id = $2 AND settled_at IS NULL;
