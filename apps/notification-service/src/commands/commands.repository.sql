-- Commands to officers (`notify.commands`) and the stages their devices reported.

-- name: insert_command
INSERT INTO notify.commands (command_id, agency_id, assignment_id, incident_id, unit_id, user_id,
    priority, critical, locale, title, body, payload, issued_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (agency_id, assignment_id, user_id) DO NOTHING RETURNING command_id;

-- name: commands_of_assignment
SELECT * FROM notify.commands WHERE agency_id = $1 AND assignment_id = $2 ORDER BY user_id;

-- name: commands_of_incident
SELECT * FROM notify.commands WHERE agency_id = $1 AND incident_id = $2
 ORDER BY issued_at, user_id LIMIT 1000;

-- A stage sets its own column and those of the stages it implies (first report wins); $3 is the
-- time, $4 the decline reason (null for other stages). `was_set`: the stage was already recorded.

-- name: record_stage_delivered
WITH before AS (
  SELECT command_id, delivered_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
)
UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
       decline_reason = COALESCE(decline_reason, $4)
  FROM before WHERE c.command_id = before.command_id
RETURNING c.*, before.was_set;

-- name: record_stage_seen
WITH before AS (
  SELECT command_id, seen_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
)
UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
       seen_at = COALESCE(seen_at, $3), decline_reason = COALESCE(decline_reason, $4)
  FROM before WHERE c.command_id = before.command_id
RETURNING c.*, before.was_set;

-- name: record_stage_accepted
WITH before AS (
  SELECT command_id, accepted_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
)
UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
       seen_at = COALESCE(seen_at, $3), accepted_at = COALESCE(accepted_at, $3),
       decline_reason = COALESCE(decline_reason, $4)
  FROM before WHERE c.command_id = before.command_id
RETURNING c.*, before.was_set;

-- name: record_stage_declined
WITH before AS (
  SELECT command_id, declined_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
)
UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
       seen_at = COALESCE(seen_at, $3), declined_at = COALESCE(declined_at, $3),
       decline_reason = COALESCE(decline_reason, $4)
  FROM before WHERE c.command_id = before.command_id
RETURNING c.*, before.was_set;
