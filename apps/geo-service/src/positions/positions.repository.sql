-- Position ingestion and queries (geo-service). Every statement is scoped by agency ($1).

-- name: ingest_batch
-- One statement per batch: appends the history (duplicates ignored by the primary key) and moves
-- each unit's latest position forward only when the batch's newest fix is newer (device time,
-- then sequence). Returns counts and the units whose latest position moved, with whether this
-- was the unit's first fix (`firstReport`, for the initial geofence state).
-- $2 unit ids, $3 device times, $4 sequences, $5 lon, $6 lat, $7 accuracy m, $8 speed m/s,
-- $9 heading deg, $10 device ids: arrays of the same length.
WITH input AS (
  SELECT i.*
  FROM unnest($2::text[], $3::timestamptz[], $4::bigint[], $5::float8[], $6::float8[],
              $7::real[], $8::real[], $9::real[], $10::text[])
       WITH ORDINALITY AS i (unit_id, recorded_at, seq, lon, lat, accuracy_m, speed_mps,
                             heading_deg, device_id, ord)
),
fresh AS (
  SELECT DISTINCT ON (unit_id, recorded_at, seq) *
  FROM input
  ORDER BY unit_id, recorded_at, seq, ord
),
history AS (
  INSERT INTO geo.positions (agency_id, unit_id, recorded_at, seq, location, accuracy_m,
                             speed_mps, heading_deg, device_id)
  SELECT $1, unit_id, recorded_at, seq,
         ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography,
         accuracy_m, speed_mps, heading_deg, device_id
  FROM fresh
  ORDER BY unit_id, recorded_at, seq
  ON CONFLICT DO NOTHING
  RETURNING unit_id, recorded_at, seq
),
newest AS (
  SELECT DISTINCT ON (f.unit_id) f.*
  FROM fresh f
  JOIN history h USING (unit_id, recorded_at, seq)
  ORDER BY f.unit_id, f.recorded_at DESC, f.seq DESC
),
previous AS (
  SELECT u.unit_id, u.recorded_at, u.seq
  FROM geo.units u
  WHERE u.agency_id = $1
    AND u.unit_id IN (SELECT unit_id FROM newest)
    AND u.recorded_at IS NOT NULL
),
latest AS (
  INSERT INTO geo.units AS u (agency_id, unit_id, location, recorded_at, seq, accuracy_m,
                              speed_mps, heading_deg, received_at)
  SELECT $1, unit_id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, recorded_at, seq,
         accuracy_m, speed_mps, heading_deg, now()
  FROM newest
  ORDER BY unit_id
  ON CONFLICT (agency_id, unit_id) DO UPDATE SET
    location = EXCLUDED.location,
    recorded_at = EXCLUDED.recorded_at,
    seq = EXCLUDED.seq,
    accuracy_m = EXCLUDED.accuracy_m,
    speed_mps = EXCLUDED.speed_mps,
    heading_deg = EXCLUDED.heading_deg,
    received_at = EXCLUDED.received_at
  WHERE u.recorded_at IS NULL OR (u.recorded_at, u.seq) < (EXCLUDED.recorded_at, EXCLUDED.seq)
  RETURNING u.unit_id
)
SELECT
  (SELECT count(*) FROM history)::int AS inserted,
  (SELECT count(*)
     FROM history h
     JOIN previous p USING (unit_id)
    WHERE (h.recorded_at, h.seq) < (p.recorded_at, p.seq))::int AS late,
  COALESCE((
    SELECT json_agg(json_build_object(
             'unitId', n.unit_id,
             'recordedAt', geo.iso_time(n.recorded_at),
             'seq', n.seq,
             'lon', n.lon,
             'lat', n.lat,
             'accuracyM', n.accuracy_m,
             'speedMps', n.speed_mps,
             'headingDeg', n.heading_deg,
             'firstReport', p.unit_id IS NULL
           ) ORDER BY n.unit_id)
    FROM latest l
    JOIN newest n USING (unit_id)
    LEFT JOIN previous p USING (unit_id)
  ), '[]'::json) AS moved;

-- name: latest_of_units
-- The stored latest fix of some units (reference of the teleport check).
SELECT unit_id,
       ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at,
       accuracy_m
FROM geo.units
WHERE agency_id = $1 AND unit_id = ANY($2::text[]) AND location IS NOT NULL;

-- name: latest_in_bbox
-- Latest positions inside [minLon, minLat, maxLon, maxLat]. The geography && prefilter uses the
-- GiST index with an envelope padded in latitude ($6) because geography edges are great circles;
-- the exact test is planar on lon/lat. $7 = oldest device time kept, $8 = limit + 1.
SELECT unit_id,
       ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at, seq, accuracy_m, speed_mps, heading_deg, status
FROM geo.units
WHERE agency_id = $1::text
  AND location IS NOT NULL
  AND NOT removed
  AND location && ST_MakeEnvelope($2::float8, greatest($3::float8 - $6::float8, -90),
                                  $4::float8, least($5::float8 + $6::float8, 90),
                                  4326)::geography
  AND ST_X(location::geometry) BETWEEN $2::float8 AND $4::float8
  AND ST_Y(location::geometry) BETWEEN $3::float8 AND $5::float8
  AND recorded_at >= $7::timestamptz
ORDER BY unit_id
LIMIT $8::int;

-- name: track
-- A unit's fixes with device time in [$3, $4), in device-time then sequence order; $5 = limit + 1.
SELECT ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at, received_at, seq, accuracy_m, speed_mps, heading_deg
FROM geo.positions
WHERE agency_id = $1 AND unit_id = $2 AND recorded_at >= $3 AND recorded_at < $4
ORDER BY recorded_at, seq
LIMIT $5;
