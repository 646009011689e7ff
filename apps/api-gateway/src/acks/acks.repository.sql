-- Commands (`dispatch.commands`: command → assignment and recipient) and the acks received for
-- them (`dispatch.command_acks`). Every statement is scoped by agency but the housekeeping one.

-- Records which assignment a command belongs to; no row when already known.
-- name: insert_command
INSERT INTO dispatch.commands
  (command_id, agency_id, assignment_id, recipient_kind, recipient_id, issued_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (command_id) DO NOTHING
RETURNING command_id;

-- name: find_command
SELECT assignment_id, recipient_kind, recipient_id FROM dispatch.commands
 WHERE agency_id = $1 AND command_id = $2;

-- Whether this user's ack of this stage of the command is stored already.
-- name: has_stage
SELECT 1 FROM dispatch.command_acks
 WHERE command_id = $2 AND agency_id = $1 AND user_id = $3 AND stage = $4
 LIMIT 1;

-- Stores an ack by its envelope id; no row when that envelope was seen before.
-- name: insert_ack
INSERT INTO dispatch.command_acks
  (event_id, agency_id, command_id, stage, reason, user_id, unit_id, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id;

-- Acks of a command not applied yet (they arrived before its `command.issued`), locked.
-- name: lock_pending_acks
SELECT event_id, stage, reason, user_id, unit_id FROM dispatch.command_acks
 WHERE agency_id = $1 AND command_id = $2 AND applied_at IS NULL
 ORDER BY received_at, event_id
 FOR UPDATE;

-- name: delete_acks
DELETE FROM dispatch.command_acks WHERE agency_id = $1 AND event_id = ANY($2::uuid[]);

-- A batch of acks whose command never became known within $1 seconds. Any agency: housekeeping.
-- name: delete_stale_pending
DELETE FROM dispatch.command_acks
 WHERE event_id IN (
   SELECT event_id FROM dispatch.command_acks
    WHERE applied_at IS NULL AND received_at < now() - make_interval(secs => $1)
    ORDER BY received_at
    LIMIT 500
    FOR UPDATE SKIP LOCKED)
RETURNING event_id;

-- name: mark_applied
UPDATE dispatch.command_acks SET applied_at = now() WHERE agency_id = $1 AND event_id = $2;
