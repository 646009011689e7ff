-- The device acks applied to assignments (`dispatch.command_acks`), kept by envelope id so a
-- redelivered ack changes nothing. Every statement is scoped by agency.

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
