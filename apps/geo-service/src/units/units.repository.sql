-- Unit projection (geo-service) from dispatch events. Scoped by agency ($1).

-- name: apply
-- Applies one event's fields unless a newer event was applied already ($9 = event time).
-- Null fields ($3 call sign, $4 status, $5 capabilities, $6 removed) keep the stored value.
INSERT INTO geo.units AS u (agency_id, unit_id, call_sign, status, capabilities, removed,
                            projection_at)
VALUES ($1::text, $2::text, $3::text, $4::text, COALESCE($5::text[], '{}'),
        COALESCE($6::bool, false), $7::timestamptz)
ON CONFLICT (agency_id, unit_id) DO UPDATE SET
  call_sign = COALESCE(EXCLUDED.call_sign, u.call_sign),
  status = COALESCE($4::text, u.status),
  capabilities = COALESCE($5::text[], u.capabilities),
  removed = COALESCE($6::bool, u.removed),
  projection_at = EXCLUDED.projection_at
WHERE u.projection_at IS NULL OR u.projection_at <= EXCLUDED.projection_at
RETURNING unit_id;
