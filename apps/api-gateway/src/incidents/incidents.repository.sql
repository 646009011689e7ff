-- Incidents (`dispatch.incidents`). Every statement is scoped by agency and answers the same
-- columns (`created_us`: `created_at` in microseconds since the epoch, the exact cursor key;
-- `zone_name`: the zone geofence's name, else the geohash-5 cell of the location).

-- name: insert
INSERT INTO dispatch.incidents
  (id, agency_id, type, priority, location, address, description, created_by, zone_id, zone_name,
   zone_source)
VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography, $7, $8, $9, $10, $11,
        $12)
RETURNING id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  disposition_code, disposition_summary, disposition_by, disposition_at,
  merged_into_id, split_from_id, zone_id, zone_source,
  COALESCE(zone_name, ST_GeoHash(location::geometry, 5)) AS zone_name,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us;

-- name: find_by_id
SELECT id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  disposition_code, disposition_summary, disposition_by, disposition_at,
  merged_into_id, split_from_id, zone_id, zone_source,
  COALESCE(zone_name, ST_GeoHash(location::geometry, 5)) AS zone_name,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us
FROM dispatch.incidents WHERE agency_id = $1 AND id = $2;

-- Reads and row-locks an incident inside the caller's transaction.
-- name: lock
SELECT id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  disposition_code, disposition_summary, disposition_by, disposition_at,
  merged_into_id, split_from_id, zone_id, zone_source,
  COALESCE(zone_name, ST_GeoHash(location::geometry, 5)) AS zone_name,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us
FROM dispatch.incidents WHERE agency_id = $1 AND id = $2 FOR NO KEY UPDATE;

-- Newest first. $7-$10 a plain lon/lat rectangle, edges included, tested on the coordinates (a
-- geography envelope reads its edges as great circles and refuses whole-world boxes); minLon >
-- maxLon crosses the antimeridian (RFC 7946 §5.2). $11/$12 the keyset cursor.
-- name: list
SELECT id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  disposition_code, disposition_summary, disposition_by, disposition_at,
  merged_into_id, split_from_id, zone_id, zone_source,
  COALESCE(zone_name, ST_GeoHash(location::geometry, 5)) AS zone_name,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us
FROM dispatch.incidents
 WHERE agency_id = $1
   AND ($2::text[] IS NULL OR status = ANY($2::text[]))
   AND ($3::text[] IS NULL OR priority = ANY($3::text[]))
   AND ($4::text IS NULL OR type = $4)
   AND ($5::timestamptz IS NULL OR created_at >= $5)
   AND ($6::timestamptz IS NULL OR created_at < $6)
   AND ($7::float8 IS NULL OR (
         ST_Y(location::geometry) BETWEEN $8::float8 AND $10::float8
         AND CASE WHEN $7::float8 <= $9::float8
                  THEN ST_X(location::geometry) BETWEEN $7::float8 AND $9::float8
                  ELSE ST_X(location::geometry) >= $7::float8
                       OR ST_X(location::geometry) <= $9::float8 END))
   AND ($11::bigint IS NULL OR (created_at, id) <
         (timestamptz 'epoch' + $11::bigint * interval '1 microsecond', $12::uuid))
 ORDER BY created_at DESC, id DESC
 LIMIT $13;

-- Applies changes and bumps the version (the caller holds the row lock); null $3-$6 keep a
-- value, $7/$9 say whether address/description were given ($8/$10 null clears them), $11 whether
-- the zone was looked up again ($12-$14, with a new location).
-- name: update
WITH changed AS (
  UPDATE dispatch.incidents SET
   type = COALESCE($3, type),
   priority = COALESCE($4, priority),
   location = CASE WHEN $5::float8 IS NULL THEN location
                   ELSE ST_SetSRID(ST_MakePoint($5::float8, $6::float8), 4326)::geography END,
   address = CASE WHEN $7::bool THEN $8 ELSE address END,
   description = CASE WHEN $9::bool THEN $10 ELSE description END,
   zone_id = CASE WHEN $11::bool THEN $12::uuid ELSE zone_id END,
   zone_name = CASE WHEN $11::bool THEN $13::text ELSE zone_name END,
   zone_source = CASE WHEN $11::bool THEN $14::text ELSE zone_source END,
   version = version + 1,
   updated_at = now()
 WHERE agency_id = $1 AND id = $2
 RETURNING *
)
SELECT id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  disposition_code, disposition_summary, disposition_by, disposition_at,
  merged_into_id, split_from_id, zone_id, zone_source,
  COALESCE(zone_name, ST_GeoHash(location::geometry, 5)) AS zone_name,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us
FROM changed;

-- name: set_status
WITH changed AS (
  UPDATE dispatch.incidents SET status = $3, version = version + 1, updated_at = now()
  WHERE agency_id = $1 AND id = $2
  RETURNING *
)
SELECT id, agency_id, type, priority, status,
  ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
  address, description, created_by, created_at, updated_at, version,
  disposition_code, disposition_summary, disposition_by, disposition_at,
  merged_into_id, split_from_id, zone_id, zone_source,
  COALESCE(zone_name, ST_GeoHash(location::geometry, 5)) AS zone_name,
  ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS created_us
FROM changed;

-- The disposition of an ending incident (the caller holds the row lock).
-- name: set_disposition
UPDATE dispatch.incidents
   SET disposition_code = $3, disposition_summary = $4, disposition_by = $5,
       disposition_at = now()
 WHERE agency_id = $1 AND id = $2;

-- A duplicate remembers its primary (the caller holds both row locks).
-- name: set_merged_into
UPDATE dispatch.incidents SET merged_into_id = $3 WHERE agency_id = $1 AND id = $2;

-- name: set_split_from
UPDATE dispatch.incidents SET split_from_id = $3 WHERE agency_id = $1 AND id = $2;

-- Incidents merged into, or split off, an incident.
-- name: linked
SELECT id, merged_into_id, split_from_id
  FROM dispatch.incidents
 WHERE agency_id = $1 AND (merged_into_id = $2 OR split_from_id = $2)
 ORDER BY created_at, id;

-- Open incidents of a type within $5 metres of a point created in the $6 seconds before $7,
-- nearest first (call intake duplicate flag; incidents_open_location_idx).
-- name: open_near
SELECT id, type, status, created_at,
  ST_Distance(location, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography) AS distance_m
  FROM dispatch.incidents
 WHERE agency_id = $1
   AND lower(type) = lower($2)
   AND status NOT IN ('closed','cancelled')
   AND merged_into_id IS NULL
   AND ST_DWithin(location, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $5)
   AND created_at >= $7::timestamptz - $6 * interval '1 second'
   AND created_at <= $7::timestamptz + interval '5 minutes'
 ORDER BY distance_m, created_at DESC
 LIMIT 5;
