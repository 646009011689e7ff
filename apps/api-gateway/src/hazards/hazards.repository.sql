-- Premise and hazard information (`dispatch.hazards`): a point with a radius or a polygon (plus
-- an optional radius), per agency. Deleted and expired hazards are neither listed nor matched.

-- name: is_valid_area
SELECT ST_IsValid(ST_GeomFromGeoJSON($1)) AS valid;

-- name: insert
INSERT INTO dispatch.hazards
  (id, agency_id, title, details, severity, address, area, radius_m, expires_at, created_by)
VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromGeoJSON($7)::geography, $8, $9, $10)
RETURNING id, agency_id, title, details, severity, address, ST_AsGeoJSON(area)::json AS area,
          radius_m, expires_at, created_by, created_at, updated_at;

-- name: update
UPDATE dispatch.hazards
   SET title = $3, details = $4, severity = $5, address = $6,
       area = ST_GeomFromGeoJSON($7)::geography, radius_m = $8, expires_at = $9, updated_at = now()
 WHERE agency_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING id, agency_id, title, details, severity, address, ST_AsGeoJSON(area)::json AS area,
          radius_m, expires_at, created_by, created_at, updated_at;

-- name: delete
UPDATE dispatch.hazards SET deleted_at = now(), updated_at = now()
 WHERE agency_id = $1 AND id = $2 AND deleted_at IS NULL;

-- name: find_by_id
SELECT id, agency_id, title, details, severity, address, ST_AsGeoJSON(area)::json AS area,
       radius_m, expires_at, created_by, created_at, updated_at
  FROM dispatch.hazards
 WHERE agency_id = $1 AND id = $2 AND deleted_at IS NULL;

-- The agency's current hazards, by id (UUIDv7: creation order), after the cursor `$2`.
-- name: list
SELECT id, agency_id, title, details, severity, address, ST_AsGeoJSON(area)::json AS area,
       radius_m, expires_at, created_by, created_at, updated_at
  FROM dispatch.hazards
 WHERE agency_id = $1 AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
   AND ($2::uuid IS NULL OR id > $2::uuid)
 ORDER BY id
 LIMIT $3;

-- The hazards that apply at a point ($2 lon, $3 lat): inside the area or within its radius. The
-- constant 5000 m (the largest radius) lets the GiST index prefilter; the per-row radius decides.
-- Most severe first, at most $4.
-- name: at_point
WITH here AS (SELECT ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography AS g)
SELECT h.id, h.agency_id, h.title, h.details, h.severity, h.address,
       ST_AsGeoJSON(h.area)::json AS area, h.radius_m, h.expires_at, h.created_by, h.created_at,
       h.updated_at
  FROM dispatch.hazards h, here
 WHERE h.agency_id = $1 AND h.deleted_at IS NULL AND (h.expires_at IS NULL OR h.expires_at > now())
   AND ST_DWithin(h.area, here.g, 5000)
   AND ST_DWithin(h.area, here.g, h.radius_m)
 ORDER BY CASE h.severity WHEN 'danger' THEN 0 WHEN 'caution' THEN 1 ELSE 2 END, h.id
 LIMIT $4;

-- Whether the agency has a hazard in force (not deleted, not expired). The nearest route asks this
-- at most once a second per replica and skips the point lookup while the answer is no
-- (hazards.service.ts, docs/adr/0031).
-- name: any_in_force
SELECT EXISTS (
  SELECT 1 FROM dispatch.hazards
   WHERE agency_id = $1 AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
) AS any;
