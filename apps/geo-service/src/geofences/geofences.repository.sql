-- Geofences (geo-service). Every statement is scoped by agency ($1). The zone lookup (`zone_at`)
-- is in libs/geo-read (zone.repository.sql): api-gateway runs it too (docs/adr/0036).

-- name: validate_geometry
-- $1 GeoJSON text. Parses with PostGIS and reports validity with the reason.
SELECT ST_IsValid(g) AS valid,
       ST_IsValidReason(g) AS reason,
       ST_NPoints(g) AS vertices
FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326) AS g) s;

-- name: insert
-- Fences are plain lon/lat polygons (geometry, SRID 4326): containment is tested on the
-- coordinates, so a whole-world fence or one cut at the antimeridian (RFC 7946 §3.1.9) works.
INSERT INTO geo.geofences (id, agency_id, name, kind, incident_id, geometry_type, area_geom,
                           vertex_count, min_inside_s, min_outside_s, dwell_threshold_s,
                           accuracy_margin_m, expires_at)
VALUES ($2::uuid, $1::text, $3::text, $4::text, $5::text, $6::text,
        ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($7::text), 4326)),
        ST_NPoints(ST_GeomFromGeoJSON($7::text)), $8::int, $9::int, $10::int, $11::real,
        $12::timestamptz)
RETURNING id;

-- name: select_one
SELECT id, agency_id, name, kind, incident_id, geometry_type,
       CASE geometry_type
         WHEN 'Polygon' THEN ST_AsGeoJSON(ST_GeometryN(area_geom, 1))
         ELSE ST_AsGeoJSON(area_geom)
       END AS geometry,
       vertex_count, min_inside_s, min_outside_s, dwell_threshold_s, accuracy_margin_m,
       expires_at, version, created_at, updated_at
FROM geo.geofences
WHERE agency_id = $1 AND id = $2;

-- name: select_page
-- Id order (UUIDv7, so creation order); $2 = cursor (exclusive) or null, $3 kind or null,
-- $4 incident or null, $5 = limit + 1.
SELECT id, agency_id, name, kind, incident_id, geometry_type,
       CASE geometry_type
         WHEN 'Polygon' THEN ST_AsGeoJSON(ST_GeometryN(area_geom, 1))
         ELSE ST_AsGeoJSON(area_geom)
       END AS geometry,
       vertex_count, min_inside_s, min_outside_s, dwell_threshold_s, accuracy_margin_m,
       expires_at, version, created_at, updated_at
FROM geo.geofences
WHERE agency_id = $1
  AND ($2::uuid IS NULL OR id > $2::uuid)
  AND ($3::text IS NULL OR kind = $3)
  AND ($4::text IS NULL OR incident_id = $4)
ORDER BY id
LIMIT $5;

-- name: update
-- Columns whose "set" flag is false keep their value. $15 = expected version or null.
UPDATE geo.geofences SET
  name = CASE WHEN $3::bool THEN $4::text ELSE name END,
  geometry_type = CASE WHEN $5::bool THEN $6::text ELSE geometry_type END,
  area_geom = CASE WHEN $5::bool THEN ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($7::text), 4326))
                   ELSE area_geom END,
  vertex_count = CASE WHEN $5::bool THEN ST_NPoints(ST_GeomFromGeoJSON($7::text)) ELSE vertex_count END,
  min_inside_s = COALESCE($8::int, min_inside_s),
  min_outside_s = COALESCE($9::int, min_outside_s),
  dwell_threshold_s = CASE WHEN $10::bool THEN $11::int ELSE dwell_threshold_s END,
  accuracy_margin_m = CASE WHEN $12::bool THEN $13::real ELSE accuracy_margin_m END,
  expires_at = CASE WHEN $14::bool THEN $16::timestamptz ELSE expires_at END,
  version = version + 1,
  updated_at = now()
WHERE agency_id = $1 AND id = $2 AND ($15::int IS NULL OR version = $15::int)
RETURNING id;

-- name: version_of
SELECT version FROM geo.geofences WHERE agency_id = $1 AND id = $2;

-- name: delete
DELETE FROM geo.geofences WHERE agency_id = $1 AND id = $2 RETURNING id;

-- name: units_touching_fences
-- Units of a batch that a geofence evaluation could concern: one of their fixes is inside a fence
-- (not expired), or they have a membership row (inside or pending). The others' fixes change
-- nothing, so a batch with several fixes per unit evaluates only these units' fixes.
-- $2 unit ids, $3 lon, $4 lat (arrays, one element per fix). As in `evaluate`, when $5 (the version
-- of geo-service's copy of the fence boxes) is current, only the candidate pairs $6-$9 (unit id,
-- fence id, lon, lat) are tested, by primary key; otherwise every fix probes the GiST index.
WITH cur_version AS (
  SELECT COALESCE((SELECT v.version FROM geo.geofence_versions v WHERE v.agency_id = $1), 0)
         AS version
)
SELECT f.unit_id
FROM unnest($2::text[], $3::float8[], $4::float8[]) AS f (unit_id, lon, lat)
WHERE $5::bigint IS DISTINCT FROM (SELECT version FROM cur_version)
  AND EXISTS (
  SELECT 1
  FROM geo.geofences g
  WHERE g.agency_id = $1
    AND ST_Intersects(g.area_geom, ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326))
    AND (g.expires_at IS NULL OR g.expires_at > now())
)
UNION
SELECT c.unit_id
FROM unnest($6::text[], $7::uuid[], $8::float8[], $9::float8[]) AS c (unit_id, geofence_id, lon, lat)
WHERE $5::bigint = (SELECT version FROM cur_version)
  AND EXISTS (
  SELECT 1
  FROM geo.geofences g
  WHERE g.id = c.geofence_id
    AND g.agency_id = $1
    AND ST_Intersects(g.area_geom, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326))
    AND (g.expires_at IS NULL OR g.expires_at > now())
)
UNION
SELECT m.unit_id
FROM geo.geofence_membership m
WHERE m.agency_id = $1 AND m.unit_id = ANY($2::text[]);

-- name: fence_boxes
-- The bounding box of each polygon of the agency's active fences (a fence cut at the antimeridian
-- is a MultiPolygon: one box per part) and the agency's fence version, read in one snapshot, for
-- geo-service's in-memory copy (docs/adr/0034). One row, parallel arrays. A fence that expires later
-- is in the copy until then (`evaluate` checks expiry itself); an expired one never comes back
-- without an update, which changes the version.
SELECT COALESCE((SELECT v.version FROM geo.geofence_versions v WHERE v.agency_id = $1), 0)::text
         AS version,
       COALESCE(array_agg(b.id::text), '{}') AS ids,
       COALESCE(array_agg(b.min_lon), '{}') AS min_lon,
       COALESCE(array_agg(b.min_lat), '{}') AS min_lat,
       COALESCE(array_agg(b.max_lon), '{}') AS max_lon,
       COALESCE(array_agg(b.max_lat), '{}') AS max_lat
FROM (
  SELECT g.id, ST_XMin(d.geom) AS min_lon, ST_YMin(d.geom) AS min_lat,
         ST_XMax(d.geom) AS max_lon, ST_YMax(d.geom) AS max_lat
  FROM geo.geofences g
  CROSS JOIN LATERAL ST_Dump(g.area_geom) d
  WHERE g.agency_id = $1
    AND (g.expires_at IS NULL OR g.expires_at > now())
    -- An empty part has no box and holds no point (an empty MultiPolygon is a valid fence).
    AND NOT ST_IsEmpty(d.geom)
) b;

-- name: evaluate
-- Enter/exit/dwell detection, set-based over at most one fix per unit: the ingestion runs every
-- fix it appended to the history through here, a unit's fixes in device-time order (one
-- statement per rank: the first fix of each unit, then the second, ...; each statement sees the
-- membership the previous one wrote). For each (unit, fence) that the fix is inside of, or that
-- the unit has a membership row for:
--   * fixes whose accuracy is worse than the fence's margin are ignored for that fence;
--   * late-fix rules: a fix never changes a pair that was evaluated with a newer fix: not newer
--     than the row's last change (`evaluated_at`), nor than the unit's latest fix before this
--     batch ($10, already evaluated against every fence its accuracy $11 qualified for). So a
--     late fix from the other side does not flap, and a late fix does count for a fence the unit's
--     newer fixes were too inaccurate for. Concurrent batches of one unit are serialised by the
--     ingestion's row lock on the unit;
--   * a unit's first fix inside a fence reports the initial state at once (`initial`);
--   * otherwise a change of side starts a pending state that is confirmed once the unit stayed
--     there `min_inside_s` / `min_outside_s` (device time); confirmation emits entered/exited,
--     timed from the first fix on the new side;
--   * `dwell` fires once per stay when inside longer than `dwell_threshold_s` (a unit that stops
--     reporting gets it from `dwell_due`).
-- Membership is sparse: rows exist while a unit is inside or pending; "no row" is outside.
-- Events go into geo.outbox in the same transaction. Returns event counts by type.
-- $2 unit ids, $3 device times (epoch ms), $4 lon, $5 lat, $6 accuracy m, $7 first report flags
-- (arrays), $8 stream name, $9 traceparent or null, $10 device time (epoch ms) and $11 accuracy of
-- each unit's latest fix before the batch (arrays, null when none), $12 audit stream, $13 version of geo-service's
-- copy of the agency's fence boxes or null, $14-$17 the candidate pairs found in that copy (unit
-- id, fence id, lon, lat; see `hit`). Also returns the agency's fence version (docs/adr/0034).
WITH fix AS (
  -- Device times arrive as epoch milliseconds (float8, exact for whole milliseconds): parsing
  -- them is cheaper than parsing timestamptz text, for the service and for this backend.
  SELECT f.unit_id, to_timestamp(f.t_ms / 1000) AS t, f.lon, f.lat, f.accuracy_m,
         f.first_report, to_timestamp(f.prev_t_ms / 1000) AS prev_t, f.prev_accuracy_m
  FROM unnest($2::text[], $3::float8[], $4::float8[], $5::float8[], $6::real[], $7::bool[],
              $10::float8[], $11::real[])
       AS f (unit_id, t_ms, lon, lat, accuracy_m, first_report, prev_t_ms, prev_accuracy_m)
),
-- The fences each fix is inside of, with the columns the evaluation needs. When geo-service's copy
-- of the agency's fence boxes ($13, its version) is the agency's version in this statement's
-- snapshot, the candidates it found (fixes $14 at $16/$17 in the box of fence $15) are tested by
-- primary-key lookup; otherwise (no copy, or a stale one) every fix probes the GiST index, reading
-- the columns in the same scan. Exactly one branch runs (one-time filters on the version).
cur_version AS (
  SELECT COALESCE((SELECT v.version FROM geo.geofence_versions v WHERE v.agency_id = $1), 0)
         AS version
),
hit AS (
  SELECT f.unit_id, g.id AS geofence_id, g.name, g.kind, g.incident_id,
         g.min_inside_s, g.min_outside_s, g.dwell_threshold_s, g.accuracy_margin_m
  FROM fix f
  JOIN geo.geofences g
    ON g.agency_id = $1
   -- The point is built here, not in `fix`: with a current copy no fix needs it.
   AND ST_Intersects(g.area_geom, ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326))
   AND (g.expires_at IS NULL OR g.expires_at > now())
  WHERE $13::bigint IS DISTINCT FROM (SELECT version FROM cur_version)
  UNION ALL
  SELECT c.unit_id, g.id, g.name, g.kind, g.incident_id,
         g.min_inside_s, g.min_outside_s, g.dwell_threshold_s, g.accuracy_margin_m
  FROM unnest($14::text[], $15::uuid[], $16::float8[], $17::float8[])
       AS c (unit_id, geofence_id, lon, lat)
  CROSS JOIN LATERAL (
    SELECT *
    FROM geo.geofences g
    WHERE g.id = c.geofence_id
      AND g.agency_id = $1
      AND (g.expires_at IS NULL OR g.expires_at > now())
    OFFSET 0
  ) g
  WHERE $13::bigint = (SELECT version FROM cur_version)
    AND ST_Intersects(g.area_geom, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326))
),
member AS (
  -- One index lookup per unit of the batch (OFFSET 0 keeps the subquery from being flattened
  -- into a join): as `unit_id = ANY($2)` the planner read every membership row of the agency and
  -- filtered them, a cost that grew with the agency's memberships (30,648 rows read for 2,899
  -- kept at 10,000 fences) rather than with the batch.
  SELECT m.*
  FROM fix f
  CROSS JOIN LATERAL (
    SELECT *
    FROM geo.geofence_membership m
    WHERE m.agency_id = $1 AND m.unit_id = f.unit_id
    OFFSET 0
  ) m
),
-- Every (unit, fence) to evaluate: the fences the fix is inside of (target inside), and the
-- fences the unit has a membership row for but the fix is not inside of (target outside), whose
-- columns come from a primary-key lookup each (expired fences are left out, as in `hit`).
pair AS (
  SELECT h.*, 'inside' AS target FROM hit h
  UNION ALL
  SELECT m.unit_id, g.id, g.name, g.kind, g.incident_id,
         g.min_inside_s, g.min_outside_s, g.dwell_threshold_s, g.accuracy_margin_m, 'outside'
  FROM member m
  CROSS JOIN LATERAL (
    SELECT *
    FROM geo.geofences g
    WHERE g.id = m.geofence_id
      AND g.agency_id = $1
      AND (g.expires_at IS NULL OR g.expires_at > now())
    OFFSET 0
  ) g
  WHERE NOT EXISTS (
    SELECT 1 FROM hit h WHERE h.unit_id = m.unit_id AND h.geofence_id = m.geofence_id
  )
),
observed AS (
  SELECT f.unit_id, f.t, f.lon, f.lat, f.first_report,
         k.geofence_id, k.name, k.kind, k.incident_id,
         k.min_inside_s, k.min_outside_s, k.dwell_threshold_s,
         m.state AS old_state,
         m.state_since AS old_state_since,
         m.pending_state AS old_pending_state,
         m.pending_since AS old_pending_since,
         COALESCE(m.dwell_notified, false) AS old_dwell_notified,
         COALESCE(m.state, 'outside') AS s0,
         k.target
  FROM pair k
  JOIN fix f ON f.unit_id = k.unit_id
  LEFT JOIN member m ON m.unit_id = k.unit_id AND m.geofence_id = k.geofence_id
  WHERE (k.accuracy_margin_m IS NULL OR f.accuracy_m IS NULL OR f.accuracy_m <= k.accuracy_margin_m)
    AND (m.evaluated_at IS NULL OR f.t > m.evaluated_at)
    AND (f.prev_t IS NULL OR f.t > f.prev_t
         OR (k.accuracy_margin_m IS NOT NULL AND f.prev_accuracy_m IS NOT NULL
             AND f.prev_accuracy_m > k.accuracy_margin_m))
),
pending AS (
  SELECT o.*,
         (o.old_state IS NULL AND o.first_report AND o.target = 'inside') AS initial,
         CASE
           WHEN o.target = o.s0 THEN NULL
           WHEN o.old_pending_state = o.target THEN o.old_pending_since
           ELSE o.t
         END AS pend_since
  FROM observed o
),
decided AS (
  SELECT p.*,
         p.initial OR (
           p.target <> p.s0
           AND p.t - p.pend_since >= make_interval(
                 secs => CASE p.target WHEN 'inside' THEN p.min_inside_s ELSE p.min_outside_s END)
         ) AS flip
  FROM pending p
),
next AS (
  SELECT d.*,
         CASE WHEN d.flip THEN d.target ELSE d.s0 END AS new_state,
         CASE
           WHEN d.initial THEN d.t
           WHEN d.flip THEN d.pend_since
           ELSE COALESCE(d.old_state_since, d.t)
         END AS new_state_since,
         CASE WHEN d.flip OR d.target = d.s0 THEN NULL ELSE d.target END AS new_pending_state,
         CASE WHEN d.flip OR d.target = d.s0 THEN NULL ELSE d.pend_since END AS new_pending_since
  FROM decided d
),
final AS (
  SELECT n.*,
         (n.new_state = 'inside'
          AND n.dwell_threshold_s IS NOT NULL
          AND NOT (CASE WHEN n.flip THEN false ELSE n.old_dwell_notified END)
          AND n.t - n.new_state_since >= make_interval(secs => n.dwell_threshold_s)) AS dwell_fire
  FROM next n
),
upserted AS (
  INSERT INTO geo.geofence_membership AS m (agency_id, geofence_id, unit_id, state, state_since,
                                            pending_state, pending_since, dwell_notified,
                                            evaluated_at)
  SELECT $1, geofence_id, unit_id, new_state, new_state_since, new_pending_state,
         new_pending_since,
         CASE WHEN flip THEN dwell_fire ELSE old_dwell_notified OR dwell_fire END,
         t
  FROM final
  WHERE (new_state = 'inside' OR new_pending_state IS NOT NULL)
    -- A row whose state does not change is not rewritten (nor locked): most fixes of a unit
    -- inside a fence change nothing, and rewriting them was a fifth of this statement's time.
    AND (old_state IS NULL
         OR (old_state, old_state_since, old_pending_state, old_pending_since, old_dwell_notified)
            IS DISTINCT FROM
            (new_state, new_state_since, new_pending_state, new_pending_since,
             CASE WHEN flip THEN dwell_fire ELSE old_dwell_notified OR dwell_fire END))
  ORDER BY geofence_id, unit_id
  ON CONFLICT (agency_id, geofence_id, unit_id) DO UPDATE SET
    state = EXCLUDED.state,
    state_since = EXCLUDED.state_since,
    pending_state = EXCLUDED.pending_state,
    pending_since = EXCLUDED.pending_since,
    dwell_notified = EXCLUDED.dwell_notified,
    evaluated_at = EXCLUDED.evaluated_at
  WHERE m.evaluated_at < EXCLUDED.evaluated_at
  RETURNING 1
),
removed AS (
  DELETE FROM geo.geofence_membership m
  USING final s
  WHERE m.agency_id = $1
    AND m.geofence_id = s.geofence_id
    AND m.unit_id = s.unit_id
    AND s.new_state = 'outside'
    AND s.new_pending_state IS NULL
    AND m.evaluated_at < s.t
  RETURNING 1
),
events AS (
  SELECT e.type,
         jsonb_strip_nulls(jsonb_build_object(
           'geofenceId', s.geofence_id,
           'geofenceName', s.name,
           'kind', s.kind,
           'incidentId', s.incident_id,
           'unitId', s.unit_id,
           'position', jsonb_build_object('type', 'Point',
                                          'coordinates', jsonb_build_array(s.lon, s.lat))
         )) || e.data AS data,
         s.unit_id, s.geofence_id, e.ord
  FROM final s
  CROSS JOIN LATERAL (VALUES
    (1, CASE WHEN s.flip AND s.new_state = 'inside' THEN 'geofence.entered' END,
        jsonb_build_object('at', geo.iso_time(s.new_state_since), 'initial', s.initial)),
    (2, CASE WHEN s.flip AND s.new_state = 'outside' THEN 'geofence.exited' END,
        jsonb_build_object(
          'at', geo.iso_time(s.new_state_since),
          'enteredAt', geo.iso_time(s.old_state_since),
          'dwellS', greatest(extract(epoch FROM s.new_state_since - s.old_state_since), 0))),
    (3, CASE WHEN s.dwell_fire THEN 'geofence.dwell' END,
        jsonb_build_object(
          'at', geo.iso_time(s.t),
          'enteredAt', geo.iso_time(s.new_state_since),
          'dwellS', extract(epoch FROM s.t - s.new_state_since),
          'thresholdS', s.dwell_threshold_s))
  ) AS e (ord, type, data)
  -- Only rows that fire build their payloads (the VALUES are computed before their filter).
  WHERE (s.flip OR s.dwell_fire)
    AND e.type IS NOT NULL
),
outboxed AS (
  INSERT INTO geo.outbox (stream, envelope)
  SELECT $8::text,
         jsonb_build_object(
           'id', geo.uuid_v7(),
           'type', e.type,
           'version', 1,
           'occurredAt', geo.iso_time(clock_timestamp()),
           'agencyId', $1::text,
           'actor', jsonb_build_object('kind', 'service', 'id', 'geo-service'),
           'data', e.data
         ) || CASE WHEN $9::text IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('traceparent', $9::text) END
  FROM events e
  ORDER BY e.unit_id, e.ord, e.geofence_id
  RETURNING 1
),
-- The audit entry of each transition, in the same transaction: a row of stream $12 (`queue:audit`)
-- that the outbox relay adds to the BullMQ queue `audit` (docs/adr/0021).
audited AS (
  INSERT INTO geo.outbox (stream, envelope)
  SELECT $12::text,
         jsonb_build_object(
           'id', geo.uuid_v7(),
           'occurredAt', geo.iso_time(clock_timestamp()),
           'agencyId', $1::text,
           'actor', jsonb_build_object('kind', 'service', 'id', 'geo-service'),
           'service', 'geo-service',
           'action', 'geofence.transition',
           'outcome', 'success',
           'object', jsonb_build_object('type', 'unit', 'id', e.unit_id),
           'details', jsonb_build_object('event', e.type, 'geofenceId', e.geofence_id,
                                         'at', e.data->'at')
         )
  FROM events e
  ORDER BY e.unit_id, e.ord, e.geofence_id
  RETURNING 1
)
SELECT e.type, count(*)::int AS count,
       (SELECT count(*) FROM outboxed)::int AS outboxed,
       (SELECT count(*) FROM audited)::int AS audited,
       (SELECT count(*) FROM upserted)::int AS upserted,
       (SELECT count(*) FROM removed)::int AS removed,
       NULL::text AS fences_version
FROM events e
GROUP BY e.type
UNION ALL
-- The agency's fence version this statement saw (the row with a null type), so geo-service knows
-- when its copy of the boxes is stale.
SELECT NULL, 0, 0, 0, 0, 0, (SELECT version FROM cur_version)::text;

-- name: dwell_due
-- `geofence.dwell` for units inside a fence past its `dwell_threshold_s` that no fix has fired it
-- for (a unit that stopped reporting inside): `at` is when the threshold was reached
-- (`state_since` + threshold), the position is the unit's latest. Every agency at once, oldest stay
-- first, at most $3 rows. Rows and units another transaction holds (an ingestion evaluating the
-- unit, another replica's pass) are skipped and left to the next pass; an ingestion that waits for
-- this pass's lock on the unit then sees `dwell_notified` set, so dwell fires once per stay.
-- Each event's audit entry (`geofence.transition`, as for a fix's transitions) is a row of stream
-- $4 (`queue:audit`) in the same statement, so it commits with the event (docs/adr/0021).
-- $1 stream name, $2 now (server clock), $3 limit, $4 audit stream. Returns the number of events
-- written.
WITH due AS (
  SELECT m.agency_id, m.geofence_id, m.unit_id, m.state_since,
         g.name, g.kind, g.incident_id, g.dwell_threshold_s,
         ST_X(u.location::geometry) AS lon, ST_Y(u.location::geometry) AS lat
  FROM geo.geofence_membership m
  JOIN geo.geofences g ON g.id = m.geofence_id
  JOIN geo.units u ON u.agency_id = m.agency_id AND u.unit_id = m.unit_id
  WHERE m.state = 'inside'
    AND NOT m.dwell_notified
    AND g.dwell_threshold_s IS NOT NULL
    AND (g.expires_at IS NULL OR g.expires_at > $2::timestamptz)
    AND m.state_since + make_interval(secs => g.dwell_threshold_s) <= $2::timestamptz
    AND u.location IS NOT NULL
  ORDER BY m.state_since
  LIMIT $3::int
  FOR UPDATE OF m, u SKIP LOCKED
),
marked AS (
  UPDATE geo.geofence_membership m SET dwell_notified = true
  FROM due d
  WHERE m.agency_id = d.agency_id AND m.geofence_id = d.geofence_id AND m.unit_id = d.unit_id
  RETURNING 1
),
outboxed AS (
  INSERT INTO geo.outbox (stream, envelope)
  SELECT $1::text,
         jsonb_build_object(
           'id', geo.uuid_v7(),
           'type', 'geofence.dwell',
           'version', 1,
           'occurredAt', geo.iso_time(clock_timestamp()),
           'agencyId', d.agency_id,
           'actor', jsonb_build_object('kind', 'service', 'id', 'geo-service'),
           'data', jsonb_strip_nulls(jsonb_build_object(
             'geofenceId', d.geofence_id,
             'geofenceName', d.name,
             'kind', d.kind,
             'incidentId', d.incident_id,
             'unitId', d.unit_id,
             'position', jsonb_build_object('type', 'Point',
                                            'coordinates', jsonb_build_array(d.lon, d.lat)),
             'at', geo.iso_time(d.state_since + make_interval(secs => d.dwell_threshold_s)),
             'enteredAt', geo.iso_time(d.state_since),
             'dwellS', d.dwell_threshold_s,
             'thresholdS', d.dwell_threshold_s
           ))
         )
  FROM due d
  ORDER BY d.state_since, d.agency_id, d.unit_id, d.geofence_id
  RETURNING 1
),
audited AS (
  INSERT INTO geo.outbox (stream, envelope)
  SELECT $4::text,
         jsonb_build_object(
           'id', geo.uuid_v7(),
           'occurredAt', geo.iso_time(clock_timestamp()),
           'agencyId', d.agency_id,
           'actor', jsonb_build_object('kind', 'service', 'id', 'geo-service'),
           'service', 'geo-service',
           'action', 'geofence.transition',
           'outcome', 'success',
           'object', jsonb_build_object('type', 'unit', 'id', d.unit_id),
           'details', jsonb_build_object('event', 'geofence.dwell', 'geofenceId', d.geofence_id,
             'at', geo.iso_time(d.state_since + make_interval(secs => d.dwell_threshold_s)))
         )
  FROM due d
  ORDER BY d.state_since, d.agency_id, d.unit_id, d.geofence_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM outboxed)::int AS fired, (SELECT count(*) FROM marked)::int AS marked,
       (SELECT count(*) FROM audited)::int AS audited;

-- name: units_inside
-- Units inside a fence now (membership state after hysteresis), for all-calls to a zone.
SELECT unit_id FROM geo.geofence_membership
 WHERE agency_id = $1 AND geofence_id = $2 AND state = 'inside'
 ORDER BY unit_id LIMIT 10000;
