-- The projection of each unit's dispatch status (`notify.units`), newest update wins.

-- name: set_unit_status
INSERT INTO notify.units (agency_id, unit_id, status, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (agency_id, unit_id) DO UPDATE SET status = $3, updated_at = $4
 WHERE notify.units.updated_at <= $4;

-- name: unit_status
SELECT status FROM notify.units WHERE agency_id = $1 AND unit_id = $2;
