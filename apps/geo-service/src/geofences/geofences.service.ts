import { Inject, Injectable } from '@nestjs/common';
import {
  uuidv7,
  type Geofence,
  type GeofenceGeometry,
  type GeofenceListResponse,
  type GeoGeofenceCreateRequest,
  type GeoGeofenceListRequest,
  type GeoGeofenceUnitsInsideReply,
  type GeoGeofenceUpdateRequest,
  type GeoGeofenceZoneAtReply,
  type GeoGeofenceZoneAtRequest,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import { ZoneReader } from '@gad/geo-read';
import { CLOCK, type Clock } from '@gad/platform';
import type { PoolClient } from 'pg';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { GeofenceException } from './geofences.exception';
import { toGeofence } from './geofences.mapper';
import { GeofencesRepository, type Change } from './geofences.repository';

type Position = [number, number];

/**
 * Structural checks PostGIS would either reject with an unhelpful parse error or accept silently:
 * ring size, closure and the vertex limit. Returns the reason, or `undefined` when they pass.
 */
export function geometryShapeProblem(
  geometry: GeofenceGeometry,
  maxVertices: number,
): string | undefined {
  const polygons: Position[][][] =
    geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let vertices = 0;
  for (const [p, polygon] of polygons.entries()) {
    for (const [r, ring] of polygon.entries()) {
      const where = geometry.type === 'Polygon' ? `ring ${r}` : `polygon ${p} ring ${r}`;
      if (ring.length < 4) {
        return `${where} has ${ring.length} positions; a linear ring needs at least 4`;
      }
      const first = ring[0];
      const last = ring[ring.length - 1];
      if (first[0] !== last[0] || first[1] !== last[1]) {
        return `${where} is not closed (first and last positions differ)`;
      }
      vertices += ring.length;
    }
  }
  if (vertices > maxVertices) {
    return `${vertices} vertices exceed the limit of ${maxVertices}`;
  }
  return undefined;
}

const change = <T>(value: T | undefined): Change<T> =>
  value === undefined ? { set: false } : { set: true, value };

/** Geofence CRUD with geometry validation. Enter/exit detection runs in ingestion (SQL). */
@Injectable()
export class GeofencesService {
  private readonly zones: ZoneReader;

  constructor(
    private readonly repository: GeofencesRepository,
    private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GEO_SERVICE_CONFIG) private readonly config: GeoServiceConfig,
  ) {
    this.zones = new ZoneReader(repository.zones);
  }

  async create(request: GeoGeofenceCreateRequest): Promise<Geofence> {
    if (request.kind === 'perimeter' && !request.incidentId) {
      throw GeofenceException.perimeterNeedsIncident();
    }
    const geoJson = await this.validGeoJson(request.geometry);
    const id = uuidv7(this.clock.now().getTime());
    // One transaction: the fence and the audit entry api-gateway forwarded (docs/adr/0021).
    return this.unitOfWork.run(async ({ client }) => {
      await this.repository.insert(
        {
          id,
          agencyId: request.agencyId,
          name: request.name,
          kind: request.kind,
          incidentId: request.incidentId ?? null,
          geometryType: request.geometry.type,
          geoJson,
          minInsideS: request.minInsideS,
          minOutsideS: request.minOutsideS,
          dwellThresholdS: request.dwellThresholdS ?? null,
          accuracyMarginM: request.accuracyMarginM ?? null,
          expiresAt: request.expiresAt ? new Date(request.expiresAt) : null,
        },
        client,
      );
      return this.get(request.agencyId, id, client);
    });
  }

  async get(agencyId: string, id: string, client?: PoolClient): Promise<Geofence> {
    const row = await this.repository.findById(agencyId, id, client);
    if (!row) {
      throw GeofenceException.notFound(id);
    }
    return toGeofence(row);
  }

  /** The units inside a fence of the agency now (404 for a fence it does not have). */
  async unitsInside(agencyId: string, id: string): Promise<GeoGeofenceUnitsInsideReply> {
    if (!(await this.repository.findById(agencyId, id))) {
      throw GeofenceException.notFound(id);
    }
    return { unitIds: await this.repository.unitsInside(agencyId, id) };
  }

  /**
   * The agency's zone geofence containing a point (incident reporting zones), or `null`: the read
   * api-gateway also runs itself (@gad/geo-read, docs/adr/0036).
   */
  zoneAt(request: GeoGeofenceZoneAtRequest): Promise<GeoGeofenceZoneAtReply> {
    return this.zones.zoneAt(request);
  }

  async list(request: GeoGeofenceListRequest): Promise<GeofenceListResponse> {
    const after = request.cursor ? decodeCursor(request.cursor) : null;
    const rows = await this.repository.findPage(
      request.agencyId,
      { after, kind: request.kind ?? null, incidentId: request.incidentId ?? null },
      request.limit + 1,
    );
    const items = rows.slice(0, request.limit).map(toGeofence);
    const last = items[items.length - 1];
    return rows.length > request.limit && last
      ? { items, nextCursor: encodeCursor(last.id) }
      : { items };
  }

  async update(request: GeoGeofenceUpdateRequest): Promise<Geofence> {
    const geometry = request.geometry
      ? { type: request.geometry.type, geoJson: await this.validGeoJson(request.geometry) }
      : undefined;
    return this.unitOfWork.run(async ({ client }) => {
      const before = await this.repository.findById(request.agencyId, request.id, client);
      const outcome = await this.repository.update(
        request.agencyId,
        request.id,
        {
          name: change(request.name),
          geometry: change(geometry),
          minInsideS: request.minInsideS,
          minOutsideS: request.minOutsideS,
          dwellThresholdS: change(request.dwellThresholdS),
          accuracyMarginM: change(request.accuracyMarginM),
          expiresAt: change(
            request.expiresAt === undefined
              ? undefined
              : request.expiresAt === null
                ? null
                : new Date(request.expiresAt),
          ),
          expectedVersion: request.expectedVersion,
        },
        client,
      );
      if (!outcome.ok) {
        throw outcome.currentVersion === undefined
          ? GeofenceException.notFound(request.id)
          : GeofenceException.versionConflict(request.id, outcome.currentVersion);
      }
      const after = await this.get(request.agencyId, request.id, client);
      describeChange({ before: before && toGeofence(before), after }, request.id);
      return after;
    });
  }

  async delete(agencyId: string, id: string): Promise<{ deleted: true }> {
    return this.unitOfWork.run(async ({ client }) => {
      const before = await this.repository.findById(agencyId, id, client);
      if (!(await this.repository.delete(agencyId, id, client))) {
        throw GeofenceException.notFound(id);
      }
      describeChange({ before: before && toGeofence(before) }, id);
      return { deleted: true } as const;
    });
  }

  /** The geometry as GeoJSON text once it passed the shape checks and `ST_IsValid`. */
  private async validGeoJson(geometry: GeofenceGeometry): Promise<string> {
    const problem = geometryShapeProblem(geometry, this.config.GEOFENCE_MAX_VERTICES);
    if (problem) {
      throw GeofenceException.invalidGeometry(problem);
    }
    const geoJson = JSON.stringify(geometry);
    let check;
    try {
      check = await this.repository.checkGeometry(geoJson);
    } catch (error) {
      // PostGIS reports unparsable geometries as internal_error / invalid_parameter_value.
      const code = (error as { code?: string } | null)?.code;
      if (code === 'XX000' || code === '22023') {
        throw GeofenceException.invalidGeometry((error as Error).message);
      }
      throw error;
    }
    if (!check.valid) {
      throw GeofenceException.invalidGeometry(check.reason);
    }
    return geoJson;
  }
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw GeofenceException.invalidCursor();
  }
  return id;
}
