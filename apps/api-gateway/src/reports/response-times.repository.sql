-- The response-time summary (`dispatch.incident_response_times`): one row per incident with its
-- milestones, kept from the timeline by the statement that appends a dispatch transaction's entries
-- (timeline.repository.sql `append`), and the figures read from it through the covering index
-- `incident_response_times_range_idx` (docs/adr/0027).

-- The summary of one incident, with how its zone was found (from the incident).
-- name: find
SELECT r.incident_id, r.priority, r.type, r.zone, i.zone_id, i.zone_source, r.created_at,
       r.call_received_at, r.first_dispatch_at, r.first_en_route_at, r.first_on_scene_at,
       r.cleared_at
  FROM dispatch.incident_response_times r
  JOIN dispatch.incidents i ON i.agency_id = r.agency_id AND i.id = r.incident_id
 WHERE r.agency_id = $1 AND r.incident_id = $2;

-- The figures of incidents created in [$2, $3) ($4 priorities, $5 type, $6 zone: NULL = all),
-- grouped by the dimensions switched on ($7 priority, $8 type, $9 zone, $10 period of size $11 in
-- time zone $12); $13..$16 the targets of P1..P4 in seconds. Intervals start at the first call
-- when it came before the incident's creation, else at the creation.
-- name: figures
WITH r AS (
  SELECT CASE WHEN $7::boolean THEN priority END AS g_priority,
         CASE WHEN $8::boolean THEN type END AS g_type,
         CASE WHEN $9::boolean THEN zone END AS g_zone,
         CASE WHEN $10::boolean
              THEN date_trunc($11::text, created_at AT TIME ZONE $12::text) AT TIME ZONE $12::text
         END AS g_period,
         CASE WHEN call_received_at <= created_at
              THEN extract(epoch FROM created_at - call_received_at) END AS call_to_create,
         extract(epoch FROM first_dispatch_at - created_at) AS create_to_dispatch,
         extract(epoch FROM first_en_route_at - first_dispatch_at) AS dispatch_to_en_route,
         extract(epoch FROM first_on_scene_at - first_en_route_at) AS en_route_to_on_scene,
         extract(epoch FROM first_on_scene_at - LEAST(call_received_at, created_at)) AS response,
         extract(epoch FROM cleared_at - first_on_scene_at) AS on_scene_to_cleared,
         CASE priority WHEN 'P1' THEN $13::float8 WHEN 'P2' THEN $14::float8
                       WHEN 'P3' THEN $15::float8 ELSE $16::float8 END AS target
    FROM dispatch.incident_response_times
   WHERE agency_id = $1 AND created_at >= $2 AND created_at < $3
     AND ($4::text[] IS NULL OR priority = ANY($4::text[]))
     AND ($5::text IS NULL OR type = $5::text)
     AND ($6::text IS NULL OR zone = $6::text)
)
SELECT g_priority, g_type, g_zone, g_period, count(*)::int AS count,
       count(call_to_create)::int AS call_to_create_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY call_to_create) AS call_to_create_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY call_to_create) AS call_to_create_p90,
       count(create_to_dispatch)::int AS create_to_dispatch_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY create_to_dispatch) AS create_to_dispatch_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY create_to_dispatch) AS create_to_dispatch_p90,
       count(dispatch_to_en_route)::int AS dispatch_to_en_route_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY dispatch_to_en_route) AS dispatch_to_en_route_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY dispatch_to_en_route) AS dispatch_to_en_route_p90,
       count(en_route_to_on_scene)::int AS en_route_to_on_scene_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY en_route_to_on_scene) AS en_route_to_on_scene_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY en_route_to_on_scene) AS en_route_to_on_scene_p90,
       count(response)::int AS response_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY response) AS response_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY response) AS response_p90,
       count(on_scene_to_cleared)::int AS on_scene_to_cleared_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY on_scene_to_cleared) AS on_scene_to_cleared_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY on_scene_to_cleared) AS on_scene_to_cleared_p90,
       count(*) FILTER (WHERE response <= target)::int AS within_target
  FROM r
 GROUP BY g_priority, g_type, g_zone, g_period
 ORDER BY g_priority, g_type, g_zone, g_period;

-- One row per incident created in [$2, $3) (filters as in `figures`), oldest first, for the CSV
-- export through a cursor; $7..$10 the targets of P1..P4.
-- name: export
SELECT incident_id, priority, type, zone, call_received_at, created_at, first_dispatch_at,
       first_en_route_at, first_on_scene_at, cleared_at,
       extract(epoch FROM first_on_scene_at - LEAST(call_received_at, created_at)) AS response_s,
       extract(epoch FROM first_on_scene_at - LEAST(call_received_at, created_at))
         <= CASE priority WHEN 'P1' THEN $7::float8 WHEN 'P2' THEN $8::float8
                          WHEN 'P3' THEN $9::float8 ELSE $10::float8 END AS within_target
  FROM dispatch.incident_response_times
 WHERE agency_id = $1 AND created_at >= $2 AND created_at < $3
   AND ($4::text[] IS NULL OR priority = ANY($4::text[]))
   AND ($5::text IS NULL OR type = $5::text)
   AND ($6::text IS NULL OR zone = $6::text)
 ORDER BY created_at, incident_id;
