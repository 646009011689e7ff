import { Inject, Injectable } from '@nestjs/common';
import type {
  GeoPositionsInBboxRequest,
  GeoUnitTrackRequest,
  PositionFix,
  PositionRejectReason,
  PositionsInBboxResponse,
  PositionsIngestResult,
  UnitTrackResponse,
} from '@gad/contracts';
import { Streams } from '@gad/contracts';
import { ValidationException, CLOCK, type Clock } from '@gad/platform';
import { createLogger } from '@gad/observability';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { GeofencesRepository, type FenceFix } from '../geofences/geofences.repository';
import { geoInstruments } from '../metrics/geo.metrics';
import { GeoOutbox } from '../geofences/geo-outbox.service';
import { RetentionService } from '../retention/retention.service';
import {
  isMissingPartitionError,
  PositionsRepository,
  type IngestOutcome,
  type LatestFix,
  type SearchCap,
  type StorableFix,
} from './positions.repository';
import { UNBOUNDED_RADIUS_M } from '../nearest/nearest.repository';
import { toTrackPoint, toUnitPosition } from './positions.mapper';
import { UnitMovedService } from './unit-moved.service';

/** Longest track one query may ask for. */
export const MAX_TRACK_RANGE_MS = 7 * 86_400_000;

const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres. */
export function haversineM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * A spherical cap holding the whole lon/lat box `[minLon, minLat, maxLon, maxLat]` (minLon > maxLon
 * crosses the antimeridian), to bound the index scan of a box query; the exact test stays on the
 * coordinates. Centred on the box's middle: for a box at most 180° wide the farthest point of the
 * box from there is one of its corners (by symmetry, a western one). Wider boxes get no bound.
 */
export function bboxCap(bbox: readonly [number, number, number, number]): SearchCap {
  const [minLon, minLat, maxLon, maxLat] = bbox;
  const width = maxLon >= minLon ? maxLon - minLon : maxLon - minLon + 360;
  if (width > 180) {
    return { lon: 0, lat: 0, radiusM: UNBOUNDED_RADIUS_M };
  }
  const middle = minLon + width / 2;
  const lon = middle > 180 ? middle - 360 : middle;
  const lat = (minLat + maxLat) / 2;
  const farthest = Math.max(
    haversineM(lon, lat, minLon, minLat),
    haversineM(lon, lat, minLon, maxLat),
  );
  // haversineM's radius is a few centimetres larger than PostGIS's sphere; 1 m covers rounding.
  return { lon, lat, radiusM: farthest + 1 };
}

export interface FixLimits {
  maxAccuracyM: number;
  maxSpeedMps: number;
  maxFutureSkewMs: number;
  maxFixAgeMs: number;
}

export interface ValidatedBatch {
  fixes: StorableFix[];
  rejected: PositionsIngestResult['rejected'];
}

/** Checks of one fix on its own; `undefined` when it passes. */
export function staticRejectReason(
  fix: PositionFix,
  recordedAt: Date,
  now: Date,
  limits: FixLimits,
): PositionRejectReason | undefined {
  const [lon, lat] = fix.position.coordinates;
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
    return 'out_of_range';
  }
  if (fix.accuracyM !== undefined && fix.accuracyM > limits.maxAccuracyM) {
    return 'accuracy';
  }
  if (recordedAt.getTime() > now.getTime() + limits.maxFutureSkewMs) {
    return 'future_timestamp';
  }
  if (recordedAt.getTime() < now.getTime() - limits.maxFixAgeMs) {
    return 'too_old';
  }
  return undefined;
}

/**
 * Validates a batch: per-fix checks, then the teleport check per unit in device-time order, each
 * fix against the newest accepted fix before it (initially the stored latest). The distance both
 * fixes' accuracy radii can explain is forgiven; the time base is at least one second.
 */
export function validateBatch(
  input: readonly PositionFix[],
  latest: ReadonlyMap<string, LatestFix>,
  now: Date,
  limits: FixLimits,
): ValidatedBatch {
  const rejected: PositionsIngestResult['rejected'] = [];
  const byUnit = new Map<string, Array<{ index: number; fix: StorableFix }>>();
  input.forEach((fix, index) => {
    const recordedAt = new Date(fix.recordedAt);
    const reason = staticRejectReason(fix, recordedAt, now, limits);
    if (reason) {
      rejected.push({ index, unitId: fix.unitId, reason });
      return;
    }
    const storable: StorableFix = {
      unitId: fix.unitId,
      recordedAt,
      seq: fix.seq,
      lon: fix.position.coordinates[0],
      lat: fix.position.coordinates[1],
      accuracyM: fix.accuracyM ?? null,
      speedMps: fix.speedMps ?? null,
      headingDeg: fix.headingDeg ?? null,
      deviceId: fix.deviceId ?? null,
    };
    const list = byUnit.get(fix.unitId) ?? [];
    list.push({ index, fix: storable });
    byUnit.set(fix.unitId, list);
  });

  const fixes: StorableFix[] = [];
  for (const [unitId, list] of byUnit) {
    list.sort(
      (a, b) => a.fix.recordedAt.getTime() - b.fix.recordedAt.getTime() || a.fix.seq - b.fix.seq,
    );
    const stored = latest.get(unitId);
    let reference: { lon: number; lat: number; at: number; accuracyM: number } | undefined = stored
      ? {
          lon: stored.lon,
          lat: stored.lat,
          at: stored.recordedAt.getTime(),
          accuracyM: stored.accuracyM ?? 0,
        }
      : undefined;
    for (const { index, fix } of list) {
      const at = fix.recordedAt.getTime();
      if (reference) {
        const distance = haversineM(reference.lon, reference.lat, fix.lon, fix.lat);
        const unexplained = Math.max(0, distance - reference.accuracyM - (fix.accuracyM ?? 0));
        const seconds = Math.max(Math.abs(at - reference.at) / 1000, 1);
        if (unexplained / seconds > limits.maxSpeedMps) {
          rejected.push({ index, unitId, reason: 'teleport' });
          continue;
        }
      }
      fixes.push(fix);
      if (!reference || at >= reference.at) {
        reference = { lon: fix.lon, lat: fix.lat, at, accuracyM: fix.accuracyM ?? 0 };
      }
    }
  }
  rejected.sort((a, b) => a.index - b.index);
  return { fixes, rejected };
}

/**
 * The fixes appended to the history as geofence evaluation rounds: each unit's fixes in device-time
 * order (then sequence), round `r` holding the `r`-th fix of every unit that has one. Late fixes
 * are included; the evaluation's late-fix rules decide what they may change, with the unit's
 * latest fix before the batch (`previous`) as reference.
 */
export function geofenceRounds(
  stored: readonly StorableFix[],
  firstReports: ReadonlySet<string>,
  previous: ReadonlyMap<string, LatestFix>,
): FenceFix[][] {
  const byUnit = new Map<string, StorableFix[]>();
  for (const fix of stored) {
    const list = byUnit.get(fix.unitId);
    if (list) {
      list.push(fix);
    } else {
      byUnit.set(fix.unitId, [fix]);
    }
  }
  const rounds: FenceFix[][] = [];
  for (const [unitId, list] of byUnit) {
    list.sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || a.seq - b.seq);
    const before = previous.get(unitId);
    list.forEach((fix, rank) => {
      const round = rounds[rank] ?? [];
      rounds[rank] = round;
      round.push({
        unitId,
        recordedAt: fix.recordedAt,
        lon: fix.lon,
        lat: fix.lat,
        accuracyM: fix.accuracyM,
        firstReport: rank === 0 && firstReports.has(unitId),
        previousAt: before?.recordedAt ?? null,
        previousAccuracyM: before?.accuracyM ?? null,
      });
    });
  }
  return rounds;
}

/**
 * Position ingestion: validation, one set-based statement for history and latest positions,
 * geofence evaluation in the same transaction (events through the outbox), then coalesced
 * `unit.moved` events.
 */
@Injectable()
export class PositionsService {
  private readonly logger = createLogger('geo-positions');
  private readonly limits: FixLimits;

  constructor(
    private readonly positions: PositionsRepository,
    private readonly geofences: GeofencesRepository,
    private readonly retention: RetentionService,
    private readonly outbox: GeoOutbox,
    private readonly unitMoved: UnitMovedService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GEO_SERVICE_CONFIG) config: GeoServiceConfig,
  ) {
    this.limits = {
      maxAccuracyM: config.POSITION_MAX_ACCURACY_M,
      maxSpeedMps: config.POSITION_MAX_SPEED_MPS,
      maxFutureSkewMs: config.POSITION_MAX_FUTURE_SKEW_S * 1000,
      maxFixAgeMs: config.POSITION_MAX_FIX_AGE_H * 3_600_000,
    };
  }

  async ingest(
    agencyId: string,
    input: readonly PositionFix[],
    traceparent?: string,
  ): Promise<PositionsIngestResult> {
    const instruments = geoInstruments();
    const now = this.clock.now();
    const unitIds = [...new Set(input.map((fix) => fix.unitId))];
    const latest = new Map(
      (await this.positions.latestOf(agencyId, unitIds)).map((fix) => [fix.unitId, fix]),
    );
    const { fixes, rejected } = validateBatch(input, latest, now, this.limits);
    for (const rejection of rejected) {
      instruments.rejected.add(1, { reason: rejection.reason });
    }
    if (fixes.length === 0) {
      return { accepted: 0, late: 0, duplicates: 0, rejected };
    }

    const started = performance.now();
    const outcome = await this.store(agencyId, fixes, latest, traceparent);
    instruments.batchDuration.record((performance.now() - started) / 1000);
    instruments.batchSize.record(fixes.length);

    const duplicates = fixes.length - outcome.inserted;
    instruments.positions.add(outcome.inserted - outcome.late, { outcome: 'accepted' });
    instruments.positions.add(outcome.late, { outcome: 'late' });
    instruments.positions.add(duplicates, { outcome: 'duplicate' });
    for (const moved of outcome.moved) {
      this.unitMoved.offer(agencyId, moved);
    }
    return { accepted: outcome.inserted, late: outcome.late, duplicates, rejected };
  }

  /** Latest positions inside a lon/lat box (minLon > maxLon crosses the antimeridian). */
  async inBbox(request: GeoPositionsInBboxRequest): Promise<PositionsInBboxResponse> {
    const bbox = request.bbox;
    const oldest =
      request.maxAgeS === undefined
        ? null
        : new Date(this.clock.now().getTime() - request.maxAgeS * 1000);
    const rows = await this.positions.latestInBbox(
      request.agencyId,
      bbox,
      bboxCap(bbox),
      oldest,
      request.limit + 1,
    );
    return {
      items: rows.slice(0, request.limit).map(toUnitPosition),
      truncated: rows.length > request.limit,
    };
  }

  /** A unit's fixes in `[from, to)` by device time. */
  async track(request: GeoUnitTrackRequest): Promise<UnitTrackResponse> {
    const from = new Date(request.from);
    const to = new Date(request.to);
    const range = to.getTime() - from.getTime();
    if (range <= 0 || range > MAX_TRACK_RANGE_MS) {
      throw new ValidationException(
        [
          {
            pointer: '/query/to',
            message: 'must be after from and at most 7 days later',
            code: 'custom',
          },
        ],
        'The track range is invalid',
      );
    }
    const rows = await this.positions.track(
      request.agencyId,
      request.unitId,
      from,
      to,
      request.limit + 1,
    );
    return {
      unitId: request.unitId,
      items: rows.slice(0, request.limit).map(toTrackPoint),
      truncated: rows.length > request.limit,
    };
  }

  /**
   * History, latest positions and geofences in one transaction: every appended fix is evaluated,
   * each unit's in device-time order (one `evaluate` statement per rank, see `geofenceRounds`).
   */
  private async store(
    agencyId: string,
    fixes: readonly StorableFix[],
    previous: ReadonlyMap<string, LatestFix>,
    traceparent: string | undefined,
  ): Promise<IngestOutcome> {
    const attempt = async (): Promise<IngestOutcome> => {
      const { outcome, events } = await this.positions.transaction(async (tx) => {
        const stored = await this.positions.ingest(tx, agencyId, fixes);
        // The geofence statements from here on run generic plans, made once per connection
        // (ingest_batch above keeps a plan per batch): with the candidates from the fence box
        // copy their plans no longer depend on the batch's arrays, and planning `evaluate` per
        // batch was about a quarter of its backend CPU (docs/adr/0034, note of 2026-12-07).
        await this.positions.useGenericPlans(tx);
        const counts = new Map<string, number>();
        let rounds = geofenceRounds(stored.stored, stored.firstReports, previous);
        if (rounds.length > 1) {
          // Several fixes of a unit (an upload): one statement per rank, so leave out the units
          // whose fixes cannot concern any fence (none inside one, no membership row).
          const touching = await this.geofences.unitsTouchingFences(tx, agencyId, stored.stored);
          rounds = geofenceRounds(
            stored.stored.filter((fix) => touching.has(fix.unitId)),
            stored.firstReports,
            previous,
          );
        }
        for (const round of rounds) {
          const fired = await this.geofences.evaluate(
            tx,
            agencyId,
            round,
            Streams.GeoEvents,
            traceparent,
          );
          for (const [type, count] of fired) {
            counts.set(type, (counts.get(type) ?? 0) + count);
          }
        }
        return { outcome: stored, events: counts };
      });
      let total = 0;
      for (const [type, count] of events) {
        geoInstruments().geofenceEvents.add(count, { type });
        total += count;
      }
      if (total > 0) {
        this.outbox.nudge();
      }
      return outcome;
    };
    try {
      return await attempt();
    } catch (error) {
      if (!isMissingPartitionError(error)) {
        throw error;
      }
      this.logger.warn('a fix fell outside the history partitions; creating them and retrying');
      await this.retention.ensurePartitionsFor(fixes.map((fix) => fix.recordedAt));
      return attempt();
    }
  }
}
