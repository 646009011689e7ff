-- Append-only notes (`dispatch.notes`) on an incident or a unit; a trigger refuses UPDATE,
-- DELETE and TRUNCATE. `corrected_by`: later notes that correct each one.

-- name: insert
INSERT INTO dispatch.notes (id, agency_id, incident_id, unit_id, text, author, corrects)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, agency_id, incident_id, unit_id, text, author, corrects, created_at,
  ARRAY[]::uuid[] AS corrected_by;

-- name: find_by_id
SELECT id, agency_id, incident_id, unit_id, text, author, corrects, created_at
  FROM dispatch.notes WHERE agency_id = $1 AND id = $2;

-- name: list_by_incident
SELECT n.id, n.agency_id, n.incident_id, n.unit_id, n.text, n.author, n.corrects, n.created_at,
  ARRAY(SELECT c.id FROM dispatch.notes c WHERE c.corrects = n.id ORDER BY c.created_at, c.id)
    AS corrected_by
  FROM dispatch.notes n
 WHERE n.agency_id = $1 AND n.incident_id = $2
 ORDER BY n.created_at, n.id;

-- name: list_by_unit
SELECT n.id, n.agency_id, n.incident_id, n.unit_id, n.text, n.author, n.corrects, n.created_at,
  ARRAY(SELECT c.id FROM dispatch.notes c WHERE c.corrects = n.id ORDER BY c.created_at, c.id)
    AS corrected_by
  FROM dispatch.notes n
 WHERE n.agency_id = $1 AND n.unit_id = $2
 ORDER BY n.created_at, n.id;
