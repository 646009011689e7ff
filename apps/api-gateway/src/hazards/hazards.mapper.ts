import type { Hazard, HazardArea, HazardNotice } from '@gad/contracts';
import type { HazardRow } from './hazards.repository';

/** PostGIS answers GeoJSON without the rings' closing check; keep only type and coordinates. */
function areaOf(area: HazardArea): HazardArea {
  return area.type === 'Point'
    ? { type: 'Point', coordinates: area.coordinates }
    : { type: 'Polygon', coordinates: area.coordinates };
}

export function toHazard(row: HazardRow): Hazard {
  return {
    id: row.id,
    agencyId: row.agency_id,
    title: row.title,
    details: row.details,
    severity: row.severity,
    address: row.address,
    area: areaOf(row.area),
    radiusM: Number(row.radius_m),
    expiresAt: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** What travels with a recommendation and a command. */
export function toHazardNotice(row: HazardRow): HazardNotice {
  return {
    id: row.id,
    title: row.title,
    severity: row.severity,
    ...(row.details ? { details: row.details } : {}),
    ...(row.address ? { address: row.address } : {}),
  };
}
