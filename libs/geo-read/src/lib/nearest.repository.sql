-- geo.nearest (@gad/geo-read: geo-service's RPC and api-gateway's read-only pool, docs/adr/0032).
-- Run as named prepared statements on the pg pool.
-- Candidates are found on the sphere, through the GiST index (KNN `location <-> point` and
-- ST_DWithin(..., false), agency first through btree_gist); the distance returned, the ranking and
-- the radius test are on the WGS 84 spheroid (ST_Distance(..., true), geodesics). Sphere and
-- spheroid distances differ by less than 0.6 % anywhere (0.25 % at 40°N), so each sphere bound is
-- widened enough to hold every unit the spheroid could rank in. "No radius" is 20,100 km.
-- $1 agency, $2 lon, $3 lat, $4 limit, $5 required capabilities (text[], empty = none),
-- $6 oldest device time accepted (timestamptz, '-infinity' = any), $7 radius in metres.

-- name: nearest_available
-- Eligible units only (partial index on status = 'available'), closest first on the spheroid.
-- `knn`: the $4 closest eligible units on the sphere, within the radius plus 1 %. If there are $4
-- of them, the $4th closest on the spheroid is at most 1/(1 - 0.006) times the farthest of them on
-- the sphere, so every unit that can rank is within 1.02 times that on the sphere; otherwise every
-- eligible unit within the radius (plus 1 %) is read. Those are ranked and filtered on the spheroid.
WITH knn AS (
  SELECT location <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography AS sphere_m
  FROM geo.units
  WHERE agency_id = $1::text
    AND location IS NOT NULL
    AND status = 'available'
    AND NOT removed
    AND capabilities @> $5::text[]
    AND recorded_at >= $6::timestamptz
    AND ST_DWithin(location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography,
                   $7::float8 * 1.01, false)
  ORDER BY location <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography
  LIMIT $4
),
bound AS (
  SELECT CASE WHEN count(*) < $4 THEN $7::float8 * 1.01
              ELSE least(max(sphere_m) * 1.02, $7::float8 * 1.01) END AS sphere_m
  FROM knn
)
SELECT unit_id,
       call_sign,
       capabilities,
       ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at,
       distance_m,
       greatest(extract(epoch FROM now() - recorded_at), 0)::float8 AS age_s
FROM (
  SELECT u.*,
         ST_Distance(u.location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, true)
           AS distance_m
  FROM geo.units u
  WHERE u.agency_id = $1::text
    AND u.location IS NOT NULL
    AND u.status = 'available'
    AND NOT u.removed
    AND u.capabilities @> $5::text[]
    AND u.recorded_at >= $6::timestamptz
    AND ST_DWithin(u.location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography,
                   (SELECT sphere_m FROM bound), false)
) candidates
WHERE distance_m <= $7::float8
ORDER BY distance_m, unit_id
LIMIT $4;

-- name: nearest_excluded
-- Why units at most as far as the last answered one (or within the radius when fewer were
-- found) were left out, one reason per unit, checked in this order: no status yet, busy, missing
-- capability, stale. The scan is capped at $4 units, closest first. $7 = that bound in metres on
-- the spheroid (the sphere prefilter is 1 % wider).
SELECT count(*) FILTER (WHERE reason = 'unknown_status')::int AS unknown_status,
       count(*) FILTER (WHERE reason = 'busy')::int AS busy,
       count(*) FILTER (WHERE reason = 'missing_capability')::int AS missing_capability,
       count(*) FILTER (WHERE reason = 'stale')::int AS stale
FROM (
  SELECT CASE
           WHEN status IS NULL THEN 'unknown_status'
           WHEN status <> 'available' THEN 'busy'
           WHEN NOT capabilities @> $5::text[] THEN 'missing_capability'
           WHEN recorded_at < $6::timestamptz THEN 'stale'
         END AS reason
  FROM geo.units
  WHERE agency_id = $1::text
    AND location IS NOT NULL
    AND NOT removed
    AND ST_DWithin(location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography,
                   $7::float8 * 1.01, false)
    AND ST_Distance(location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, true)
        <= $7::float8
  ORDER BY location <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography
  LIMIT $4
) scanned
WHERE reason IS NOT NULL;
