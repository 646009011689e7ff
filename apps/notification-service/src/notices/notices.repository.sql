-- Notices to users (`notify.notices`): one per (source event, user).

-- name: insert_notice
INSERT INTO notify.notices (notice_id, agency_id, source_event_id, user_id, kind)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agency_id, source_event_id, user_id) DO NOTHING
RETURNING notice_id;

-- name: notice_id_of
SELECT notice_id FROM notify.notices WHERE agency_id = $1 AND source_event_id = $2 AND user_id = $3;
