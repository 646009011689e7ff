-- Commands to officers (`notify.commands`) and the stages their devices reported.

-- An assignment and its commands, one per pageable crew member, each with its in-app delivery
-- row, in one statement (the commands' transaction adds only its outbox rows): nothing when the
-- assignment was already stored (a second delivery of assignment.created). $1 agency, $2
-- assignment, $3 incident, $4 unit, $5 priority, $6 the assignment's creation, $7 critical, $8
-- issued at; per command $9 ids, $10 users, $11 locales, $12 titles, $13 bodies, $14 payloads.
-- `inserted`: the assignment is new; `command_ids`: the commands inserted.
-- name: issue_assignment_commands
WITH assignment AS (
  INSERT INTO notify.assignments (agency_id, assignment_id, incident_id, unit_id, priority,
      created_at)
  VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING assignment_id
), commands AS (
  INSERT INTO notify.commands (command_id, agency_id, assignment_id, incident_id, unit_id, user_id,
      priority, critical, locale, title, body, payload, issued_at)
  SELECT c.command_id, $1, assignment.assignment_id, $3, $4, c.user_id, $5, $7, c.locale, c.title,
         c.body, c.payload, $8
    FROM assignment,
         unnest($9::uuid[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[])
           WITH ORDINALITY AS c(command_id, user_id, locale, title, body, payload, n)
   ORDER BY c.n
  ON CONFLICT (agency_id, assignment_id, user_id) DO NOTHING RETURNING command_id, user_id
), deliveries AS (
  INSERT INTO notify.deliveries (agency_id, command_id, channel, target, attempt, outcome, at)
  SELECT $1, command_id, 'in_app', 'user:' || user_id, 1, 'sent', $8 FROM commands
)
SELECT EXISTS (SELECT 1 FROM assignment) AS inserted,
       ARRAY(SELECT command_id FROM commands) AS command_ids;

-- name: commands_of_assignment
SELECT * FROM notify.commands WHERE agency_id = $1 AND assignment_id = $2 ORDER BY user_id;

-- name: commands_of_incident
SELECT * FROM notify.commands WHERE agency_id = $1 AND incident_id = $2
 ORDER BY issued_at, user_id LIMIT 1000;

-- $6 is the stage (delivered, seen, accepted, declined): it sets its own column and those of the
-- stages it implies (first report wins); $3 is the time, $4 the decline reason (null for other
-- stages), $5 the acknowledging user. `was_set`: the stage was already recorded. In the same
-- statement (one round trip in the ack's transaction): the recipient is logged in again when the
-- ack is their own (a device of theirs spoke), and
--   delivered, seen: `all_delivered`, every command of the assignment is now delivered (the
--     `undelivered` step can go; two crew members acking at once may both see the other's
--     pending, and the step then finds nothing to do when it runs);
--   accepted, declined: the assignment is settled ($7 the time, the stage the reason) unless it
--     already was; `settled`: this statement settled it.
-- name: record_stage
WITH before AS (
  SELECT command_id, assignment_id, user_id,
         CASE $6::text WHEN 'delivered' THEN delivered_at WHEN 'seen' THEN seen_at
           WHEN 'accepted' THEN accepted_at ELSE declined_at END IS NOT NULL AS was_set
    FROM notify.commands WHERE agency_id = $1 AND command_id = $2 FOR UPDATE
), stage AS (
  UPDATE notify.commands c SET delivered_at = COALESCE(delivered_at, $3),
         seen_at = CASE WHEN $6::text <> 'delivered' THEN COALESCE(seen_at, $3) ELSE seen_at END,
         accepted_at = CASE WHEN $6::text = 'accepted' THEN COALESCE(accepted_at, $3)
           ELSE accepted_at END,
         declined_at = CASE WHEN $6::text = 'declined' THEN COALESCE(declined_at, $3)
           ELSE declined_at END,
         decline_reason = COALESCE(decline_reason, $4)
    FROM before WHERE c.command_id = before.command_id
  RETURNING c.*, before.was_set
), active AS (
  UPDATE notify.recipients r SET logged_out_at = NULL, updated_at = now()
    FROM before WHERE r.agency_id = $1 AND r.user_id = before.user_id AND before.user_id = $5
     AND r.logged_out_at IS NOT NULL
  RETURNING r.user_id
), settled AS (
  UPDATE notify.assignments a SET settled_at = $7, settled_reason = $6::text
    FROM before WHERE $6::text IN ('accepted', 'declined') AND a.agency_id = $1
     AND a.assignment_id = before.assignment_id AND a.settled_at IS NULL
  RETURNING a.assignment_id
)
SELECT stage.*,
       $6::text IN ('delivered', 'seen') AND NOT EXISTS (
         SELECT 1 FROM notify.commands o
          WHERE o.agency_id = $1 AND o.assignment_id = stage.assignment_id
            AND o.command_id <> stage.command_id AND o.delivered_at IS NULL
       ) AS all_delivered,
       EXISTS (SELECT 1 FROM settled) AS settled
  FROM stage;
