-- Calls (`dispatch.calls`): taken before or without an incident, then linked to one. Every
-- statement is scoped by agency and answers the same columns.

-- name: insert
INSERT INTO dispatch.calls
  (id, agency_id, channel, caller_name, callback_number, location_text, location, received_at,
   incident_type, description, duplicate_candidates, created_by)
VALUES ($1, $2, $3, $4, $5, $6,
  CASE WHEN $7::float8 IS NULL THEN NULL
       ELSE ST_SetSRID(ST_MakePoint($7::float8, $8::float8), 4326)::geography END,
  $9, $10, $11, $12::jsonb, $13)
RETURNING id, agency_id, channel, caller_name, callback_number, location_text,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  received_at, incident_type, description, incident_id, linked_at, linked_by,
  duplicate_candidates, created_by, created_at;

-- name: find_by_id
SELECT id, agency_id, channel, caller_name, callback_number, location_text,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  received_at, incident_type, description, incident_id, linked_at, linked_by,
  duplicate_candidates, created_by, created_at
FROM dispatch.calls WHERE agency_id = $1 AND id = $2;

-- Reads and row-locks calls inside the caller's transaction (after their incident's lock).
-- name: lock
SELECT id, agency_id, channel, caller_name, callback_number, location_text,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  received_at, incident_type, description, incident_id, linked_at, linked_by,
  duplicate_candidates, created_by, created_at
FROM dispatch.calls WHERE agency_id = $1 AND id = ANY($2::uuid[])
ORDER BY id
FOR NO KEY UPDATE;

-- Newest first. $2: only unlinked; $3: of one incident; $4/$5 received-at range.
-- name: list
SELECT id, agency_id, channel, caller_name, callback_number, location_text,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  received_at, incident_type, description, incident_id, linked_at, linked_by,
  duplicate_candidates, created_by, created_at
FROM dispatch.calls
 WHERE agency_id = $1
   AND ($2::bool IS NULL OR (incident_id IS NULL) = $2::bool)
   AND ($3::uuid IS NULL OR incident_id = $3::uuid)
   AND ($4::timestamptz IS NULL OR received_at >= $4::timestamptz)
   AND ($5::timestamptz IS NULL OR received_at < $5::timestamptz)
 ORDER BY received_at DESC, id DESC
 LIMIT $6;

-- The calls of an incident, in the order they came in.
-- name: list_by_incident
SELECT id, agency_id, channel, caller_name, callback_number, location_text,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  received_at, incident_type, description, incident_id, linked_at, linked_by,
  duplicate_candidates, created_by, created_at
FROM dispatch.calls
 WHERE agency_id = $1 AND incident_id = $2
 ORDER BY received_at, id;

-- Links calls to an incident (the caller holds the locks). Returns the linked calls.
-- name: link
WITH linked AS (
  UPDATE dispatch.calls SET incident_id = $3, linked_at = now(), linked_by = $4
   WHERE agency_id = $1 AND id = ANY($2::uuid[])
  RETURNING *
)
SELECT id, agency_id, channel, caller_name, callback_number, location_text,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  received_at, incident_type, description, incident_id, linked_at, linked_by,
  duplicate_candidates, created_by, created_at
FROM linked ORDER BY received_at, id;
