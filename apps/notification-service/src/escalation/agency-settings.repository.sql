-- notification-service's copy of agency settings (`notify.agency_settings`).

-- Keeps the newest version: an older or repeated event changes nothing. A row when stored.
-- name: upsert
INSERT INTO notify.agency_settings (agency_id, version, settings, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (agency_id) DO UPDATE
SET version = EXCLUDED.version, settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at
WHERE notify.agency_settings.version < EXCLUDED.version
RETURNING agency_id;

-- name: find
SELECT version, settings FROM notify.agency_settings WHERE agency_id = $1;
