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
-- time, $4 the decline reason (null for other stages), $5 the acknowledging user. `was_set`: the
-- stage was already recorded. In the same statement (one round trip in the ack's transaction): the
-- recipient is logged in again when the ack is their own (a device of theirs spoke), and
--   delivered, seen: `all_delivered`, every command of the assignment is now delivered (the
--     `undelivered` step can go; two crew members acking at once may both see the other's
--     pending, and the step then finds nothing to do when it runs);
--   accepted, declined: the assignment is settled ($6 the time, the stage the reason) unless it
--     already was; `settled`: this statement settled it.

-- name: record_stage_delivered
WITH before AS (
  SELECT command_id, assignment_id, user_id, delivered_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
), stage AS (
  UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
         decline_reason = COALESCE(decline_reason, $4)
    FROM before WHERE c.command_id = before.command_id
  RETURNING c.*, before.was_set
), active AS (
  UPDATE notify.recipients r SET logged_out_at = NULL, updated_at = now()
    FROM before WHERE r.agency_id = $1 AND r.user_id = before.user_id AND before.user_id = $5
     AND r.logged_out_at IS NOT NULL
  RETURNING r.user_id
)
SELECT stage.*, NOT EXISTS (
  SELECT 1 FROM notify.commands o
   WHERE o.agency_id = $1 AND o.assignment_id = stage.assignment_id
     AND o.command_id <> stage.command_id AND o.delivered_at IS NULL
) AS all_delivered FROM stage;

-- name: record_stage_seen
WITH before AS (
  SELECT command_id, assignment_id, user_id, seen_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
), stage AS (
  UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
         seen_at = COALESCE(seen_at, $3), decline_reason = COALESCE(decline_reason, $4)
    FROM before WHERE c.command_id = before.command_id
  RETURNING c.*, before.was_set
), active AS (
  UPDATE notify.recipients r SET logged_out_at = NULL, updated_at = now()
    FROM before WHERE r.agency_id = $1 AND r.user_id = before.user_id AND before.user_id = $5
     AND r.logged_out_at IS NOT NULL
  RETURNING r.user_id
)
SELECT stage.*, NOT EXISTS (
  SELECT 1 FROM notify.commands o
   WHERE o.agency_id = $1 AND o.assignment_id = stage.assignment_id
     AND o.command_id <> stage.command_id AND o.delivered_at IS NULL
) AS all_delivered FROM stage;

-- name: record_stage_accepted
WITH before AS (
  SELECT command_id, assignment_id, user_id, accepted_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
), stage AS (
  UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
         seen_at = COALESCE(seen_at, $3), accepted_at = COALESCE(accepted_at, $3),
         decline_reason = COALESCE(decline_reason, $4)
    FROM before WHERE c.command_id = before.command_id
  RETURNING c.*, before.was_set
), active AS (
  UPDATE notify.recipients r SET logged_out_at = NULL, updated_at = now()
    FROM before WHERE r.agency_id = $1 AND r.user_id = before.user_id AND before.user_id = $5
     AND r.logged_out_at IS NOT NULL
  RETURNING r.user_id
), settled AS (
  UPDATE notify.assignments a SET settled_at = $6, settled_reason = 'accepted'
    FROM before WHERE a.agency_id = $1 AND a.assignment_id = before.assignment_id
     AND a.settled_at IS NULL
  RETURNING a.assignment_id
)
SELECT stage.*, EXISTS (SELECT 1 FROM settled) AS settled FROM stage;

-- name: record_stage_declined
WITH before AS (
  SELECT command_id, assignment_id, user_id, declined_at IS NOT NULL AS was_set FROM notify.commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
), stage AS (
  UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
         seen_at = COALESCE(seen_at, $3), declined_at = COALESCE(declined_at, $3),
         decline_reason = COALESCE(decline_reason, $4)
    FROM before WHERE c.command_id = before.command_id
  RETURNING c.*, before.was_set
), active AS (
  UPDATE notify.recipients r SET logged_out_at = NULL, updated_at = now()
    FROM before WHERE r.agency_id = $1 AND r.user_id = before.user_id AND before.user_id = $5
     AND r.logged_out_at IS NOT NULL
  RETURNING r.user_id
), settled AS (
  UPDATE notify.assignments a SET settled_at = $6, settled_reason = 'declined'
    FROM before WHERE a.agency_id = $1 AND a.assignment_id = before.assignment_id
     AND a.settled_at IS NULL
  RETURNING a.assignment_id
)
SELECT stage.*, EXISTS (SELECT 1 FROM settled) AS settled FROM stage;
