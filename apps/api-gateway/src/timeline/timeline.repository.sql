-- The append-only incident timeline (`dispatch.incident_timeline`); a trigger refuses UPDATE,
-- DELETE and TRUNCATE.

-- `{rows}` is one `($n, $n::uuid, $n, $n, $n, $n, $n, $n::jsonb)` tuple per entry, in order
-- (timeline.repository.ts), so a transaction's entries are one statement.
-- name: append
INSERT INTO dispatch.incident_timeline
  (agency_id, incident_id, kind, actor_kind, actor_id, message, reason, detail)
VALUES {rows};

-- name: list
SELECT id::text AS id, incident_id, kind, at, actor_kind, actor_id, message, reason, detail
  FROM dispatch.incident_timeline
 WHERE agency_id = $1 AND incident_id = $2
 ORDER BY id;
