-- geo.nearest (geo-service). Run as named prepared statements on the pg pool.
-- Both statements order by `location <-> point` (KNN on the GiST index, agency first through
-- btree_gist) and bound the scan with ST_DWithin; "no radius" is passed as 20,100 km.
-- $1 agency, $2 lon, $3 lat, $4 limit, $5 required capabilities (text[], empty = none),
-- $6 oldest device time accepted (timestamptz, '-infinity' = any), $7 radius in metres.

-- name: nearest_available
-- Eligible units only (partial index on status = 'available'), closest first.
SELECT unit_id,
       call_sign,
       capabilities,
       ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at,
       ST_Distance(location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, false) AS distance_m,
       greatest(extract(epoch FROM now() - recorded_at), 0)::float8 AS age_s
FROM geo.units
WHERE agency_id = $1::text
  AND location IS NOT NULL
  AND status = 'available'
  AND NOT removed
  AND capabilities @> $5::text[]
  AND recorded_at >= $6::timestamptz
  AND ST_DWithin(location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $7::float8, false)
ORDER BY location <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography
LIMIT $4;

-- name: nearest_excluded
-- Why units at most as far as the last answered one (or within the radius when fewer were
-- found) were left out, one reason per unit, checked in this order: no status yet, busy, missing
-- capability, stale. The scan is capped at $4 units, closest first. $7 = that bound in metres.
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
    AND ST_DWithin(location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $7::float8, false)
  ORDER BY location <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography
  LIMIT $4
) scanned
WHERE reason IS NOT NULL;
