-- Delivery attempts of commands and notices on every channel (`notify.deliveries`).

-- name: insert_delivery
INSERT INTO notify.deliveries (agency_id, command_id, notice_id, channel, target, attempt, outcome, detail, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: deliveries_of_commands
SELECT agency_id, command_id, channel, target, attempt, outcome, detail, at FROM notify.deliveries
 WHERE agency_id = $1 AND command_id = ANY($2::uuid[]) ORDER BY id;
