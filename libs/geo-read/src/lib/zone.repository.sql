-- Zone lookup (docs/adr/0036): run by geo-service (`geo.geofences.zone_at`) and by api-gateway on its
-- read-only geo pool. Scoped by agency ($1).

-- name: zone_at
-- The agency's zone (kind `zone`, not expired) containing a point, for the incident's reporting
-- zone: the smallest when zones overlap (a beat inside a district), then the oldest. A point on a
-- boundary is inside (geofences_area_idx).
SELECT id, name FROM geo.geofences
 WHERE agency_id = $1 AND kind = 'zone'
   AND (expires_at IS NULL OR expires_at > now())
   AND ST_Intersects(area_geom, ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326))
 ORDER BY ST_Area(area_geom), id
 LIMIT 1;
