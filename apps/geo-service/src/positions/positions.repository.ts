import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import {
  Database,
  loadSqlFile,
  numberArray,
  queryRows,
  sqlOf,
  textArray,
  timestampArray,
} from '@gad/platform';
import type { Pool, PoolClient } from 'pg';

const SQL = loadSqlFile(join(__dirname, 'positions.repository.sql'));
const INGEST_BATCH = sqlOf(SQL, 'ingest_batch');
const LATEST_OF_UNITS = sqlOf(SQL, 'latest_of_units');
const LATEST_IN_BBOX = sqlOf(SQL, 'latest_in_bbox');
const TRACK = sqlOf(SQL, 'track');

/** A fix that passed validation, ready to store. */
export interface StorableFix {
  unitId: string;
  recordedAt: Date;
  seq: number;
  lon: number;
  lat: number;
  accuracyM: number | null;
  speedMps: number | null;
  headingDeg: number | null;
  deviceId: string | null;
}

/** A unit whose latest position moved forward in a batch. */
export interface MovedUnit {
  unitId: string;
  /** Device time; turned into text only when a coalesced `unit.moved` is published. */
  recordedAt: Date;
  seq: number;
  lon: number;
  lat: number;
  accuracyM: number | null;
  speedMps: number | null;
  headingDeg: number | null;
  /** The unit had no position before this batch. */
  firstReport: boolean;
}

export interface IngestOutcome {
  /** Rows appended to the history. */
  inserted: number;
  /** Of those, older than the unit's latest fix before the batch. */
  late: number;
  moved: MovedUnit[];
  /** The fixes appended to the history (duplicates left out), in batch order. */
  stored: StorableFix[];
  /** Units that had no position before this batch. */
  firstReports: ReadonlySet<string>;
}

export interface LatestFix {
  unitId: string;
  lon: number;
  lat: number;
  recordedAt: Date;
  accuracyM: number | null;
}

export interface LatestPositionRow {
  unit_id: string;
  lon: number;
  lat: number;
  recorded_at: Date;
  seq: string;
  accuracy_m: number | null;
  speed_mps: number | null;
  heading_deg: number | null;
  status: string | null;
}

/** A spherical cap (centre and radius on the sphere) that an index scan may be bounded by. */
export interface SearchCap {
  lon: number;
  lat: number;
  radiusM: number;
}

export interface TrackRow {
  lon: number;
  lat: number;
  recorded_at: Date;
  received_at: Date;
  seq: string;
  accuracy_m: number | null;
  speed_mps: number | null;
  heading_deg: number | null;
}

/** The newest fix (device time, then sequence) of each unit whose latest position moved. */
export function movedUnits(
  fixes: readonly StorableFix[],
  unitIds: readonly string[],
  firstReports: ReadonlySet<string>,
): MovedUnit[] {
  const wanted = new Set(unitIds);
  const newest = new Map<string, StorableFix>();
  for (const fix of fixes) {
    if (!wanted.has(fix.unitId)) {
      continue;
    }
    const current = newest.get(fix.unitId);
    const order = current
      ? fix.recordedAt.getTime() - current.recordedAt.getTime() || fix.seq - current.seq
      : 1;
    if (order > 0) {
      newest.set(fix.unitId, fix);
    }
  }
  return [...newest.values()]
    .sort((a, b) => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0))
    .map((fix) => ({
      unitId: fix.unitId,
      recordedAt: fix.recordedAt,
      seq: fix.seq,
      lon: fix.lon,
      lat: fix.lat,
      accuracyM: fix.accuracyM,
      speedMps: fix.speedMps,
      headingDeg: fix.headingDeg,
      firstReport: firstReports.has(fix.unitId),
    }));
}

/** The fixes of `fixes` whose (unit, device time in ms, sequence) is one of the keys, each once. */
export function fixesWithKeys(
  fixes: readonly StorableFix[],
  units: readonly string[],
  timesMs: readonly number[],
  seqs: readonly number[],
): StorableFix[] {
  const keyOf = (unitId: string, ms: number, seq: number) => `${unitId}\u0000${ms}\u0000${seq}`;
  const wanted = new Set(units.map((unitId, index) => keyOf(unitId, timesMs[index], seqs[index])));
  const found: StorableFix[] = [];
  for (const fix of fixes) {
    const key = keyOf(fix.unitId, fix.recordedAt.getTime(), fix.seq);
    if (wanted.delete(key)) {
      found.push(fix);
    }
  }
  return found;
}

/** Postgres error raised when no history partition covers a fix's device time. */
export function isMissingPartitionError(error: unknown): boolean {
  const pgError = error as { code?: string; message?: string } | null;
  return pgError?.code === '23514' && /no partition/i.test(pgError.message ?? '');
}

/** The only place with SQL for positions. Every statement is scoped by agency. */
@Injectable()
export class PositionsRepository {
  constructor(private readonly database: Database) {}

  get pool(): Pool {
    return this.database.pool;
  }

  /**
   * Runs `fn` in one transaction; `tx` is passed to the repositories' transactional methods (JIT is
   * off on every connection, see `createDataSource`). geo-service's connections use generic plans
   * (`GEO_CONNECTION_SETTINGS`); the batch statements are planned for each batch instead, with its
   * arrays in view: ingestion ran at 6,387 fixes/s with generic plans, about 9,100 with
   * PostgreSQL's default (which turns to generic plans after five executions) and about 10,000
   * with a plan per batch (docs/benchmarks.md, Geo).
   */
  transaction<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T> {
    return this.database.transaction(fn, {
      begin: 'BEGIN; SET LOCAL plan_cache_mode = force_custom_plan',
    });
  }

  /** The rest of the transaction `tx` runs generic plans (see `transaction`). */
  async useGenericPlans(client: PoolClient): Promise<void> {
    await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
  }

  /** One statement: history append + latest position per unit (see positions.repository.sql). */
  async ingest(
    client: PoolClient,
    agencyId: string,
    fixes: readonly StorableFix[],
  ): Promise<IngestOutcome> {
    const rows = await queryRows<{
      inserted: number;
      stored_units: string[] | null;
      stored_times_ms: number[] | null;
      stored_seqs: number[] | null;
      late: number;
      moved_units: string[];
      first_report_units: string[];
    }>(client, {
      name: 'geo_positions_ingest_v3',
      text: INGEST_BATCH,
      values: [
        agencyId,
        textArray(fixes.map((fix) => fix.unitId)),
        timestampArray(fixes.map((fix) => fix.recordedAt)),
        numberArray(fixes.map((fix) => fix.seq)),
        numberArray(fixes.map((fix) => fix.lon)),
        numberArray(fixes.map((fix) => fix.lat)),
        numberArray(fixes.map((fix) => fix.accuracyM)),
        numberArray(fixes.map((fix) => fix.speedMps)),
        numberArray(fixes.map((fix) => fix.headingDeg)),
        textArray(fixes.map((fix) => fix.deviceId)),
      ],
    });
    const row = rows[0];
    const firstReports = new Set(row.first_report_units);
    return {
      inserted: row.inserted,
      late: row.late,
      moved: movedUnits(fixes, row.moved_units, firstReports),
      // Listed only when some fix was a duplicate; otherwise every fix was appended.
      stored:
        row.stored_units === null
          ? [...fixes]
          : fixesWithKeys(
              fixes,
              row.stored_units,
              row.stored_times_ms ?? [],
              row.stored_seqs ?? [],
            ),
      firstReports,
    };
  }

  async latestOf(agencyId: string, unitIds: readonly string[]): Promise<LatestFix[]> {
    const rows = await queryRows<{
      unit_id: string;
      lon: number;
      lat: number;
      recorded_ms: number;
      accuracy_m: number | null;
    }>(this.pool, {
      name: 'geo_positions_latest_of_v3',
      text: LATEST_OF_UNITS,
      values: [agencyId, unitIds],
    });
    return rows.map((row) => ({
      unitId: row.unit_id,
      lon: row.lon,
      lat: row.lat,
      recordedAt: new Date(row.recorded_ms),
      accuracyM: row.accuracy_m,
    }));
  }

  /** `bbox` is a lon/lat rectangle (minLon > maxLon crosses the antimeridian); `cap` holds it. */
  async latestInBbox(
    agencyId: string,
    bbox: readonly [number, number, number, number],
    cap: SearchCap,
    oldest: Date | null,
    limit: number,
  ): Promise<LatestPositionRow[]> {
    const [minLon, minLat, maxLon, maxLat] = bbox;
    return queryRows<LatestPositionRow>(this.pool, {
      name: 'geo_positions_bbox_v2',
      text: LATEST_IN_BBOX,
      values: [
        agencyId,
        minLon,
        minLat,
        maxLon,
        maxLat,
        cap.lon,
        cap.lat,
        cap.radiusM,
        oldest ?? '-infinity',
        limit,
      ],
    });
  }

  async track(
    agencyId: string,
    unitId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<TrackRow[]> {
    return queryRows<TrackRow>(this.pool, {
      name: 'geo_positions_track_v1',
      text: TRACK,
      values: [agencyId, unitId, from, to, limit],
    });
  }
}
