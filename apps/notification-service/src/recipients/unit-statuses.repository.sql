-- The projection of each unit's dispatch status (`notify.units`), newest update wins.

-- name: set_unit_status
INSERT INTO notify.units (agency_id, unit_id, status, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (agency_id, unit_id) DO UPDATE SET status = $3, updated_at = $4
 WHERE notify.units.updated_at <= $4;

-- Read with the unit's crew: recipients.repository.sql, find_crew.
