import type { NearestExclusions, NearestUnit } from '@gad/contracts';
import type { ExclusionRow, NearestRow } from './nearest.repository';

export function toNearestUnit(row: NearestRow): NearestUnit {
  return {
    unitId: row.unit_id,
    distanceM: Math.round(row.distance_m * 10) / 10,
    position: { type: 'Point', coordinates: [row.lon, row.lat] },
    recordedAt: row.recorded_at.toISOString(),
    ageS: Math.round(row.age_s * 10) / 10,
    ...(row.call_sign === null ? {} : { callSign: row.call_sign }),
    capabilities: row.capabilities,
  };
}

export function toExclusions(row: ExclusionRow | undefined): NearestExclusions {
  return {
    stale: row?.stale ?? 0,
    busy: row?.busy ?? 0,
    missingCapability: row?.missing_capability ?? 0,
    unknownStatus: row?.unknown_status ?? 0,
  };
}
