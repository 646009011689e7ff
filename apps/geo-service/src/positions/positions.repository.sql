-- Position ingestion and queries (geo-service). Every statement is scoped by agency ($1).

-- name: ingest_batch
-- One statement per batch: appends the history (duplicates ignored by the primary key) and moves
-- each unit's latest position forward only when the batch's newest fix is newer (device time,
-- then sequence). Returns the counts, the fixes appended (unit, device time in ms, sequence), the
-- units whose latest position moved and, of those, the ones that had no position before (their
-- first report, for the initial geofence state). The appended fixes are listed only when some fix
-- was not appended (a duplicate). The final SELECT reads geo.units as it was
-- before this statement (one snapshot for all parts).
-- Joins between CTEs are avoided on purpose: their row estimates are 1 and nested loops over
-- 500 x 500 rows would dominate; lookups go through the primary key instead.
-- $2 unit ids, $3 device times, $4 sequences, $5 lon, $6 lat, $7 accuracy m, $8 speed m/s,
-- $9 heading deg, $10 device ids: arrays of the same length.
WITH fresh AS (
  SELECT DISTINCT ON (unit_id, recorded_at, seq) *
  FROM unnest($2::text[], $3::timestamptz[], $4::bigint[], $5::float8[], $6::float8[],
              $7::real[], $8::real[], $9::real[], $10::text[])
       WITH ORDINALITY AS i (unit_id, recorded_at, seq, lon, lat, accuracy_m, speed_mps,
                             heading_deg, device_id, ord)
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
  -- A duplicate can never be newer than the stored latest fix, so `fresh` is enough here.
  SELECT DISTINCT ON (unit_id) *
  FROM fresh
  ORDER BY unit_id, recorded_at DESC, seq DESC
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
  -- The fixes appended (not duplicates): each is evaluated against the geofences. Null when every
  -- fix of the batch was appended (no duplicate, the usual case): the caller then has them all.
  CASE WHEN (SELECT count(*) FROM history) < cardinality($2::text[])
       THEN COALESCE((SELECT array_agg(h.unit_id) FROM history h), '{}') END AS stored_units,
  CASE WHEN (SELECT count(*) FROM history) < cardinality($2::text[])
       THEN COALESCE((SELECT array_agg((extract(epoch FROM h.recorded_at) * 1000)::float8)
                      FROM history h), '{}') END AS stored_times_ms,
  CASE WHEN (SELECT count(*) FROM history) < cardinality($2::text[])
       THEN COALESCE((SELECT array_agg(h.seq::float8) FROM history h), '{}') END AS stored_seqs,
  (SELECT count(*)
     FROM history h
    WHERE (h.recorded_at, h.seq) < (
      SELECT p.recorded_at, p.seq FROM geo.units p
      WHERE p.agency_id = $1 AND p.unit_id = h.unit_id))::int AS late,
  COALESCE((SELECT array_agg(l.unit_id) FROM latest l), '{}') AS moved_units,
  COALESCE((
    SELECT array_agg(l.unit_id)
    FROM latest l
    -- A primary-key lookup per moved unit (no row, or a row without a fix: its first report). As
    -- NOT EXISTS the planner chose a hash anti join that read all of the agency's units per batch.
    WHERE (SELECT p.recorded_at FROM geo.units p
           WHERE p.agency_id = $1 AND p.unit_id = l.unit_id) IS NULL
  ), '{}') AS first_report_units;

-- name: latest_of_units
-- The stored latest fix of some units (reference of the teleport check): one primary-key lookup
-- per unit (LIMIT 1 keeps the planner from turning it into a scan of the agency's units). Units
-- without a position are dropped outside the lookup: with `location IS NOT NULL` inside it, the
-- partial GiST indexes on (agency_id, location) qualified too, and a generic plan made while
-- geo.units was empty (a new deployment's first batch) scanned one of them for the agency on every
-- lookup until the table was next analyzed (517 µs of backend CPU per fix, docs/benchmarks.md).
-- The device time comes as epoch milliseconds (float8, exact for whole milliseconds): node-postgres
-- parses timestamptz text with a regular expression per row, about a microsecond of geo-service's
-- CPU per fix (docs/adr/0037).
SELECT u.*
FROM unnest($2::text[]) AS k (unit_id)
CROSS JOIN LATERAL (
  SELECT unit_id,
         ST_X(location::geometry) AS lon,
         ST_Y(location::geometry) AS lat,
         (extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms,
         accuracy_m
  FROM geo.units
  WHERE agency_id = $1::text AND unit_id = k.unit_id
  LIMIT 1
) u
WHERE u.lon IS NOT NULL;

-- name: latest_in_bbox
-- Latest positions inside a plain lon/lat rectangle, edges included: longitude in [$2, $4] (or,
-- when $2 > $4, the box crosses the antimeridian: >= $2 or <= $4, RFC 7946 §5.2), latitude in
-- [$3, $5]. The exact test is on the coordinates; a geography polygon would read the box's edges
-- as great circles (wrong for wide boxes, "Antipodal edge" for whole-world ones). The GiST index
-- is used through a spherical cap that holds the whole box: centre ($6, $7), radius $8 metres
-- (computed by the service; 20,100 km, i.e. no prefilter, for boxes wider than 180°).
-- $9 = oldest device time kept, $10 = limit + 1.
SELECT unit_id,
       ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at, seq, accuracy_m, speed_mps, heading_deg, status
FROM geo.units
WHERE agency_id = $1::text
  AND location IS NOT NULL
  AND NOT removed
  AND ST_DWithin(location, ST_SetSRID(ST_MakePoint($6::float8, $7::float8), 4326)::geography,
                 $8::float8, false)
  AND ST_Y(location::geometry) BETWEEN $3::float8 AND $5::float8
  AND CASE WHEN $2::float8 <= $4::float8
           THEN ST_X(location::geometry) BETWEEN $2::float8 AND $4::float8
           ELSE ST_X(location::geometry) >= $2::float8 OR ST_X(location::geometry) <= $4::float8
      END
  AND recorded_at >= $9::timestamptz
ORDER BY unit_id
LIMIT $10::int;

-- name: track
-- A unit's fixes with device time in [$3, $4), in device-time then sequence order; $5 = limit + 1.
SELECT ST_X(location::geometry) AS lon,
       ST_Y(location::geometry) AS lat,
       recorded_at, received_at, seq, accuracy_m, speed_mps, heading_deg
FROM geo.positions
WHERE agency_id = $1 AND unit_id = $2 AND recorded_at >= $3 AND recorded_at < $4
ORDER BY recorded_at, seq
LIMIT $5;
