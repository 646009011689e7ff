import type { TrackPoint, UnitMovedV1, UnitPosition } from '@gad/contracts';
import type { LatestPositionRow, MovedUnit, TrackRow } from './positions.repository';

const point = (lon: number, lat: number) => ({
  type: 'Point' as const,
  coordinates: [lon, lat] as [number, number],
});

export function toUnitMovedV1(moved: MovedUnit): UnitMovedV1 {
  return {
    unitId: moved.unitId,
    position: point(moved.lon, moved.lat),
    recordedAt: moved.recordedAt.toISOString(),
    seq: Number(moved.seq),
    ...(moved.accuracyM === null ? {} : { accuracyM: moved.accuracyM }),
    ...(moved.speedMps === null ? {} : { speedMps: moved.speedMps }),
    ...(moved.headingDeg === null ? {} : { headingDeg: moved.headingDeg }),
  };
}

export function toUnitPosition(row: LatestPositionRow): UnitPosition {
  return {
    unitId: row.unit_id,
    position: point(row.lon, row.lat),
    recordedAt: row.recorded_at.toISOString(),
    seq: Number(row.seq),
    accuracyM: row.accuracy_m,
    speedMps: row.speed_mps,
    headingDeg: row.heading_deg,
    status: row.status,
  };
}

export function toTrackPoint(row: TrackRow): TrackPoint {
  return {
    position: point(row.lon, row.lat),
    recordedAt: row.recorded_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    seq: Number(row.seq),
    accuracyM: row.accuracy_m,
    speedMps: row.speed_mps,
    headingDeg: row.heading_deg,
  };
}
