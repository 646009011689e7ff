import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import type { GeofenceKind } from '@gad/contracts';
import {
  boolArray,
  Database,
  loadSqlFile,
  numberArray,
  queryRows,
  sqlOf,
  textArray,
} from '@gad/platform';
import { ZoneRepository } from '@gad/geo-read';
import type { Pool, PoolClient } from 'pg';
import { createLogger } from '@gad/observability';
import { FenceBoxCache, type FenceBoxIndex, type FenceBoxRows } from './fence-boxes';

const SQL = loadSqlFile(join(__dirname, 'geofences.repository.sql'));
const VALIDATE = sqlOf(SQL, 'validate_geometry');
const INSERT = sqlOf(SQL, 'insert');
const SELECT_ONE = sqlOf(SQL, 'select_one');
const SELECT_PAGE = sqlOf(SQL, 'select_page');
const UPDATE = sqlOf(SQL, 'update');
const VERSION_OF = sqlOf(SQL, 'version_of');
const DELETE = sqlOf(SQL, 'delete');
const EVALUATE = sqlOf(SQL, 'evaluate');
const UNITS_TOUCHING_FENCES = sqlOf(SQL, 'units_touching_fences');
const DWELL_DUE = sqlOf(SQL, 'dwell_due');
const UNITS_INSIDE = sqlOf(SQL, 'units_inside');
const FENCE_BOXES = sqlOf(SQL, 'fence_boxes');

/** Candidate (fix, fence) pairs from a copy of the fence boxes, as the statements take them. */
interface CandidatePairs {
  version: string | null;
  unitIds: string[];
  fenceIds: string[];
  lons: number[];
  lats: number[];
}

/** The pairs of `fixes` (at most one per unit in `evaluate`) whose point is in a fence's box. */
export function candidatePairs(
  copy: FenceBoxIndex | undefined,
  fixes: ReadonlyArray<{ unitId: string; lon: number; lat: number }>,
): CandidatePairs {
  const pairs: CandidatePairs = {
    version: copy?.version ?? null,
    unitIds: [],
    fenceIds: [],
    lons: [],
    lats: [],
  };
  if (!copy) {
    return pairs;
  }
  for (const fix of fixes) {
    for (const fenceId of copy.candidates(fix.lon, fix.lat)) {
      pairs.unitIds.push(fix.unitId);
      pairs.fenceIds.push(fenceId);
      pairs.lons.push(fix.lon);
      pairs.lats.push(fix.lat);
    }
  }
  return pairs;
}

export interface GeofenceRow {
  id: string;
  agency_id: string;
  name: string;
  kind: GeofenceKind;
  incident_id: string | null;
  geometry_type: 'Polygon' | 'MultiPolygon';
  geometry: string;
  vertex_count: number;
  min_inside_s: number;
  min_outside_s: number;
  dwell_threshold_s: number | null;
  accuracy_margin_m: number | null;
  expires_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A fix to evaluate against the agency's geofences (see `evaluate`). */
export interface FenceFix {
  unitId: string;
  recordedAt: Date;
  lon: number;
  lat: number;
  accuracyM: number | null;
  /** The unit's first fix ever (reports its initial state). */
  firstReport: boolean;
  /** The unit's latest fix before this batch (already evaluated), if any. */
  previousAt: Date | null;
  previousAccuracyM: number | null;
}

export interface GeometryCheck {
  valid: boolean;
  reason: string;
  vertices: number;
}

export interface NewGeofence {
  id: string;
  agencyId: string;
  name: string;
  kind: GeofenceKind;
  incidentId: string | null;
  geometryType: 'Polygon' | 'MultiPolygon';
  geoJson: string;
  minInsideS: number;
  minOutsideS: number;
  dwellThresholdS: number | null;
  accuracyMarginM: number | null;
  expiresAt: Date | null;
}

/** A field of an update: absent = unchanged. */
export type Change<T> = { set: true; value: T } | { set: false };

export interface GeofenceChanges {
  name: Change<string>;
  geometry: Change<{ type: 'Polygon' | 'MultiPolygon'; geoJson: string }>;
  minInsideS?: number;
  minOutsideS?: number;
  dwellThresholdS: Change<number | null>;
  accuracyMarginM: Change<number | null>;
  expiresAt: Change<Date | null>;
  expectedVersion?: number;
}

export type UpdateOutcome = { ok: true } | { ok: false; currentVersion?: number };

/** The only place with SQL for geofences and membership. Every statement is scoped by agency. */
@Injectable()
export class GeofencesRepository {
  private readonly logger = createLogger('geo-geofences');
  /**
   * This process's copy of each agency's fence boxes (docs/adr/0034): loaded on an agency's first
   * evaluation, reloaded when a statement reports another version; a stale copy is never used.
   */
  readonly boxes = new FenceBoxCache(
    (agencyId) => this.fenceBoxes(agencyId),
    (error) =>
      this.logger.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'could not load the fence boxes; the fence index is probed until a load succeeds',
      ),
  );

  /** The zone lookup (`geo.geofences.zone_at`), shared with api-gateway (docs/adr/0036). */
  readonly zones: ZoneRepository;

  constructor(private readonly database: Database) {
    this.zones = new ZoneRepository(database);
  }

  /** The agency's fence boxes and version, in one snapshot (`fence_boxes`). */
  async fenceBoxes(agencyId: string): Promise<FenceBoxRows> {
    const rows = await queryRows<{
      version: string;
      ids: string[];
      min_lon: number[];
      min_lat: number[];
      max_lon: number[];
      max_lat: number[];
    }>(this.pool, { name: 'geo_geofence_boxes_v1', text: FENCE_BOXES, values: [agencyId] });
    const row = rows[0];
    return {
      version: row.version,
      ids: row.ids,
      minLon: row.min_lon,
      minLat: row.min_lat,
      maxLon: row.max_lon,
      maxLat: row.max_lat,
    };
  }

  private get pool(): Pool {
    return this.database.pool;
  }

  /** PostGIS's view of a GeoJSON geometry (`ST_IsValid`, `ST_IsValidReason`); throws when unparsable. */
  async checkGeometry(geoJson: string): Promise<GeometryCheck> {
    const rows = await queryRows<GeometryCheck>(this.pool, {
      name: 'geo_geofence_validate_v1',
      text: VALIDATE,
      values: [geoJson],
    });
    return rows[0];
  }

  /** `client`: the unit of work's transaction (the change commits with its audit entry). */
  async insert(fence: NewGeofence, client: Pool | PoolClient = this.pool): Promise<void> {
    await queryRows(client, {
      name: 'geo_geofence_insert_v1',
      text: INSERT,
      values: [
        fence.agencyId,
        fence.id,
        fence.name,
        fence.kind,
        fence.incidentId,
        fence.geometryType,
        fence.geoJson,
        fence.minInsideS,
        fence.minOutsideS,
        fence.dwellThresholdS,
        fence.accuracyMarginM,
        fence.expiresAt,
      ],
    });
  }

  /** Units whose membership of the fence is `inside` now. */
  async unitsInside(agencyId: string, id: string): Promise<string[]> {
    const rows = await queryRows<{ unit_id: string }>(this.pool, {
      text: UNITS_INSIDE,
      values: [agencyId, id],
    });
    return rows.map((row) => row.unit_id);
  }

  async findById(
    agencyId: string,
    id: string,
    client: Pool | PoolClient = this.pool,
  ): Promise<GeofenceRow | undefined> {
    const rows = await queryRows<GeofenceRow>(client, {
      name: 'geo_geofence_select_one_v1',
      text: SELECT_ONE,
      values: [agencyId, id],
    });
    return rows[0];
  }

  async findPage(
    agencyId: string,
    filter: { after: string | null; kind: GeofenceKind | null; incidentId: string | null },
    limit: number,
  ): Promise<GeofenceRow[]> {
    return queryRows<GeofenceRow>(this.pool, {
      name: 'geo_geofence_select_page_v1',
      text: SELECT_PAGE,
      values: [agencyId, filter.after, filter.kind, filter.incidentId, limit],
    });
  }

  /** `ok: false` without `currentVersion` when the fence does not exist. */
  async update(
    agencyId: string,
    id: string,
    changes: GeofenceChanges,
    client: Pool | PoolClient = this.pool,
  ): Promise<UpdateOutcome> {
    const value = <T>(change: Change<T>): T | null => (change.set ? change.value : null);
    const rows = await queryRows(client, {
      name: 'geo_geofence_update_v1',
      text: UPDATE,
      values: [
        agencyId,
        id,
        changes.name.set,
        value(changes.name),
        changes.geometry.set,
        changes.geometry.set ? changes.geometry.value.type : null,
        changes.geometry.set ? changes.geometry.value.geoJson : null,
        changes.minInsideS ?? null,
        changes.minOutsideS ?? null,
        changes.dwellThresholdS.set,
        value(changes.dwellThresholdS),
        changes.accuracyMarginM.set,
        value(changes.accuracyMarginM),
        changes.expiresAt.set,
        changes.expectedVersion ?? null,
        value(changes.expiresAt),
      ],
    });
    if (rows.length > 0) {
      return { ok: true };
    }
    const current = await queryRows<{ version: number }>(client, {
      name: 'geo_geofence_version_of_v1',
      text: VERSION_OF,
      values: [agencyId, id],
    });
    return { ok: false, currentVersion: current[0]?.version };
  }

  async delete(
    agencyId: string,
    id: string,
    client: Pool | PoolClient = this.pool,
  ): Promise<boolean> {
    const rows = await queryRows(client, {
      name: 'geo_geofence_delete_v1',
      text: DELETE,
      values: [agencyId, id],
    });
    return rows.length > 0;
  }

  /** Of the units of `fixes`, those with a fix inside a fence or a membership row (in `tx`). */
  async unitsTouchingFences(
    tx: PoolClient,
    agencyId: string,
    fixes: ReadonlyArray<{ unitId: string; lon: number; lat: number }>,
  ): Promise<Set<string>> {
    const pairs = candidatePairs(this.boxes.current(agencyId), fixes);
    const rows = await queryRows<{ unit_id: string }>(tx, {
      name: 'geo_geofence_units_touching_v2',
      text: UNITS_TOUCHING_FENCES,
      values: [
        agencyId,
        textArray(fixes.map((fix) => fix.unitId)),
        numberArray(fixes.map((fix) => fix.lon)),
        numberArray(fixes.map((fix) => fix.lat)),
        pairs.version,
        textArray(pairs.unitIds),
        textArray(pairs.fenceIds),
        numberArray(pairs.lons),
        numberArray(pairs.lats),
      ],
    });
    return new Set(rows.map((row) => row.unit_id));
  }

  /**
   * Enter/exit/dwell detection for fixes of the batch, at most one per unit (the caller runs a
   * unit's fixes in device-time order, one statement each), inside the ingestion transaction;
   * events are written to `geo.outbox`. Returns the number of events by type. With a current copy
   * of the agency's fence boxes only the fixes' candidate fences are tested; the statement checks
   * the copy's version and probes the fence index itself when it is stale (docs/adr/0034).
   */
  async evaluate(
    tx: PoolClient,
    agencyId: string,
    fixes: readonly FenceFix[],
    stream: string,
    traceparent: string | undefined,
  ): Promise<Map<string, number>> {
    const copy = this.boxes.current(agencyId);
    const pairs = candidatePairs(copy, fixes);
    const rows = await queryRows<{ type: string | null; count: number; fences_version: string }>(
      tx,
      {
        name: 'geo_geofence_evaluate_v7',
        text: EVALUATE,
        values: [
          agencyId,
          textArray(fixes.map((fix) => fix.unitId)),
          numberArray(fixes.map((fix) => fix.recordedAt.getTime())),
          numberArray(fixes.map((fix) => fix.lon)),
          numberArray(fixes.map((fix) => fix.lat)),
          numberArray(fixes.map((fix) => fix.accuracyM)),
          boolArray(fixes.map((fix) => fix.firstReport)),
          stream,
          traceparent ?? null,
          numberArray(fixes.map((fix) => (fix.previousAt ? fix.previousAt.getTime() : null))),
          numberArray(fixes.map((fix) => fix.previousAccuracyM)),
          AUDIT_OUTBOX_STREAM,
          pairs.version,
          textArray(pairs.unitIds),
          textArray(pairs.fenceIds),
          numberArray(pairs.lons),
          numberArray(pairs.lats),
        ],
      },
    );
    const counts = new Map<string, number>();
    for (const row of rows) {
      if (row.type === null) {
        this.boxes.observed(agencyId, row.fences_version);
      } else {
        counts.set(row.type, row.count);
      }
    }
    return counts;
  }

  /**
   * Writes `geofence.dwell` to `geo.outbox` for stays past their threshold at `now` that no fix
   * fired it for (units that stopped reporting), at most `limit`, each with its audit entry in
   * the same statement (docs/adr/0021); returns how many.
   */
  async fireDueDwells(stream: string, now: Date, limit: number): Promise<number> {
    const rows = await queryRows<{ fired: number }>(this.pool, {
      name: 'geo_geofence_dwell_due_v2',
      text: DWELL_DUE,
      values: [stream, now, limit, AUDIT_OUTBOX_STREAM],
    });
    return rows[0]?.fired ?? 0;
  }
}
