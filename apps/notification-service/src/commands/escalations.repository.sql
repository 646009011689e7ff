-- Ladder steps that fired (`notify.escalations`): one row per (assignment, step).

-- name: insert_escalation
INSERT INTO notify.escalations (agency_id, assignment_id, step, fired_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING step;

-- name: escalations_of_incident
SELECT e.assignment_id, e.step, e.fired_at FROM notify.escalations e
  JOIN notify.assignments a USING (agency_id, assignment_id)
 WHERE e.agency_id = $1 AND a.incident_id = $2 ORDER BY e.fired_at;
