import type { Geofence, GeofenceGeometry } from '@gad/contracts';
import type { GeofenceRow } from './geofences.repository';

export function toGeofence(row: GeofenceRow): Geofence {
  return {
    id: row.id,
    agencyId: row.agency_id,
    name: row.name,
    kind: row.kind,
    incidentId: row.incident_id,
    geometry: JSON.parse(row.geometry) as GeofenceGeometry,
    vertexCount: row.vertex_count,
    minInsideS: row.min_inside_s,
    minOutsideS: row.min_outside_s,
    dwellThresholdS: row.dwell_threshold_s,
    accuracyMarginM: row.accuracy_margin_m,
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
