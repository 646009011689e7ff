-- All-calls (`notify.all_calls`) and each unit's command with its stages (`notify.all_call_commands`).

-- name: on_duty_units
-- Units of the agency whose last status is anything but off duty (the duty projection); with $2,
-- only those among the given units (the units inside a zone).
SELECT unit_id FROM notify.units
 WHERE agency_id = $1 AND status <> 'off_duty' AND ($2::text[] IS NULL OR unit_id = ANY ($2))
 ORDER BY unit_id LIMIT 10000;

-- name: insert_all_call
INSERT INTO notify.all_calls (all_call_id, agency_id, title, message, priority, critical,
    created_by, created_at, zone_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (all_call_id) DO NOTHING RETURNING all_call_id;

-- name: insert_commands
-- One command per unit; $3..$5 are parallel arrays (command id, unit id) and the issue time.
INSERT INTO notify.all_call_commands (command_id, agency_id, all_call_id, unit_id, issued_at)
SELECT c.command_id, $1, $2, c.unit_id, $5
  FROM unnest($3::uuid[], $4::text[]) AS c (command_id, unit_id)
ON CONFLICT (all_call_id, unit_id) DO NOTHING;

-- name: all_call
SELECT * FROM notify.all_calls WHERE agency_id = $1 AND all_call_id = $2;

-- name: commands_of_all_call
SELECT * FROM notify.all_call_commands WHERE agency_id = $1 AND all_call_id = $2
 ORDER BY unit_id;

-- name: record_stage
-- A stage sets its own column and those it implies (first report wins): $3 the stage, $4 the
-- time, $5 the decline reason, $6 the acknowledging user. Answers the row when the command is an
-- all-call's (with `was_set`: the stage was already recorded).
WITH before AS (
  SELECT command_id,
         CASE $3::text WHEN 'delivered' THEN delivered_at IS NOT NULL
                       WHEN 'seen' THEN seen_at IS NOT NULL
                       WHEN 'accepted' THEN accepted_at IS NOT NULL
                       ELSE declined_at IS NOT NULL END AS was_set
    FROM notify.all_call_commands
   WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
)
UPDATE notify.all_call_commands c
   SET delivered_at = COALESCE(delivered_at, $4),
       seen_at = CASE WHEN $3::text IN ('seen', 'accepted', 'declined')
                      THEN COALESCE(seen_at, $4) ELSE seen_at END,
       accepted_at = CASE WHEN $3::text = 'accepted' THEN COALESCE(accepted_at, $4)
                          ELSE accepted_at END,
       declined_at = CASE WHEN $3::text = 'declined' THEN COALESCE(declined_at, $4)
                          ELSE declined_at END,
       decline_reason = CASE WHEN $3::text = 'declined' THEN COALESCE(decline_reason, $5)
                             ELSE decline_reason END,
       acknowledged_by = $6
  FROM before WHERE c.command_id = before.command_id
RETURNING c.*, before.was_set;

-- name: record_step
-- A ladder step of an all-call, once (`notify.escalations`, keyed by the all-call's id).
INSERT INTO notify.escalations (agency_id, assignment_id, step, fired_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING step;

-- name: steps_of_all_call
SELECT step, fired_at FROM notify.escalations
 WHERE agency_id = $1 AND assignment_id = $2 AND step LIKE 'all_call_%' ORDER BY fired_at, step;
