-- The append-only incident timeline (`dispatch.incident_timeline`); a trigger refuses UPDATE,
-- DELETE and TRUNCATE.

-- Appends a transaction's entries ($1-$8: one array per column, one element per entry, in order)
-- and, in the same statement, recomputes the response-time summary
-- (`dispatch.incident_response_times`, docs/adr/0027) of the incidents they belong to: one round
-- trip per dispatch transaction instead of two. The summary reads each incident's earlier entries
-- from the table and the new ones from the CTE's RETURNING (a statement does not see the rows its
-- own CTE inserts). Concurrent writers each see their own entries; LEAST keeps the earliest of what
-- each saw, so the row never loses a milestone to a race. Zone: the name of the agency's zone
-- geofence the incident was found in when created or moved, else the geohash-5 cell (~5 km) of
-- the location. Prepared once per connection (timeline.repository.ts).
-- name: append
WITH entries AS (
  INSERT INTO dispatch.incident_timeline
    (agency_id, incident_id, kind, actor_kind, actor_id, message, reason, detail)
  SELECT agency_id, incident_id, kind, actor_kind, actor_id, message, reason, detail
    FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::jsonb[])
         WITH ORDINALITY AS t(agency_id, incident_id, kind, actor_kind, actor_id, message, reason,
                              detail, n)
   ORDER BY n
  RETURNING agency_id, incident_id, kind, at, detail
)
INSERT INTO dispatch.incident_response_times AS r
  (incident_id, agency_id, priority, type, zone, created_at, call_received_at, first_dispatch_at,
   first_en_route_at, first_on_scene_at, cleared_at)
SELECT i.id, i.agency_id, i.priority, i.type,
       COALESCE(i.zone_name, ST_GeoHash(i.location::geometry, 5)), i.created_at,
       t.call_received_at, t.first_dispatch_at, t.first_en_route_at, t.first_on_scene_at,
       t.cleared_at
  FROM dispatch.incidents i
  CROSS JOIN LATERAL (
    SELECT min((e.detail->>'receivedAt')::timestamptz) FILTER (WHERE e.kind = 'call.linked')
             AS call_received_at,
           min(e.at) FILTER (WHERE e.kind = 'assignment.created') AS first_dispatch_at,
           min(e.at) FILTER (WHERE e.kind = 'assignment.updated' AND e.detail->>'to' = 'en_route')
             AS first_en_route_at,
           min(e.at) FILTER (WHERE e.kind = 'assignment.updated' AND e.detail->>'to' = 'on_scene')
             AS first_on_scene_at,
           min(e.at) FILTER (WHERE e.kind = 'incident.status_changed'
                               AND e.detail->>'to' IN ('resolved', 'closed')) AS cleared_at
      FROM (SELECT o.kind, o.at, o.detail
              FROM dispatch.incident_timeline o
             WHERE o.agency_id = i.agency_id AND o.incident_id = i.id
            UNION ALL
            SELECT n.kind, n.at, n.detail
              FROM entries n
             WHERE n.agency_id = i.agency_id AND n.incident_id = i.id) e
  ) t
 WHERE i.id IN (SELECT incident_id FROM entries)
ON CONFLICT (incident_id) DO UPDATE
   SET priority = excluded.priority,
       type = excluded.type,
       zone = excluded.zone,
       call_received_at = LEAST(r.call_received_at, excluded.call_received_at),
       first_dispatch_at = LEAST(r.first_dispatch_at, excluded.first_dispatch_at),
       first_en_route_at = LEAST(r.first_en_route_at, excluded.first_en_route_at),
       first_on_scene_at = LEAST(r.first_on_scene_at, excluded.first_on_scene_at),
       cleared_at = LEAST(r.cleared_at, excluded.cleared_at);

-- name: list
SELECT id::text AS id, incident_id, kind, at, actor_kind, actor_id, message, reason, detail
  FROM dispatch.incident_timeline
 WHERE agency_id = $1 AND incident_id = $2
 ORDER BY id;
