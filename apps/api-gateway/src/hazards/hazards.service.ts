import { Injectable } from '@nestjs/common';
import {
  uuidv7,
  type AccessClaims,
  type CreateHazardRequest,
  type Hazard,
  type HazardList,
  type HazardNotice,
  type IncidentHazards,
  type ListHazardsQuery,
  type UpdateHazardRequest,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import type { SqlClient } from '@gad/platform';
import { IncidentsService } from '../incidents/incidents.service';
import { HazardException } from './hazards.exception';
import { toHazard, toHazardNotice } from './hazards.mapper';
import { HazardsRepository, type HazardFields, type HazardRow } from './hazards.repository';

/** Radius of a hazard at an address point when none is given (metres). */
export const DEFAULT_POINT_RADIUS_M = 25;
/** At most this many hazards travel with a recommendation or a command. */
export const MAX_HAZARD_NOTICES = 20;
/**
 * How long a replica trusts that an agency has no hazard in force before asking again (ms): a
 * hazard written through another replica shows with the nearest units within this time; one
 * written through this replica shows at once (docs/adr/0031).
 */
export const HAZARD_PRESENCE_READ_CACHE_MS = 1_000;

/**
 * Premise and hazard information of an agency: kept per address point or polygon, shown with
 * the nearest recommendation at a point and sent with the dispatch command to the units going
 * there (`assignment.created` → command payload `hazards`).
 */
@Injectable()
export class HazardsService {
  /** Per agency: whether it had a hazard in force when last asked, and until when that holds. */
  private readonly presence = new Map<string, { any: boolean; expiresAt: number }>();
  /** Bumped by every hazard write of this replica: a read begun before it is not remembered. */
  private writes = 0;

  constructor(
    private readonly repository: HazardsRepository,
    private readonly incidents: IncidentsService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async create(user: AccessClaims, request: CreateHazardRequest): Promise<Hazard> {
    const fields: HazardFields = {
      title: request.title,
      details: request.details ?? null,
      severity: request.severity ?? 'caution',
      address: request.address ?? null,
      area: request.area,
      radiusM: request.radiusM ?? (request.area.type === 'Point' ? DEFAULT_POINT_RADIUS_M : 0),
      expiresAt: request.expiresAt ?? null,
    };
    await this.assertValidArea(fields);
    // Hazard changes commit with their audit entry (docs/adr/0021).
    const id = uuidv7();
    const row = await this.unitOfWork.run((tx) =>
      this.repository.insert(id, user.agencyId, user.sub, fields, tx.client),
    );
    this.written(user.agencyId);
    return toHazard(row);
  }

  async list(user: AccessClaims, query: ListHazardsQuery): Promise<HazardList> {
    if ((query.lon === undefined) !== (query.lat === undefined)) {
      throw HazardException.pointIncomplete();
    }
    const rows =
      query.lon !== undefined && query.lat !== undefined
        ? await this.repository.atPoint(user.agencyId, query.lon, query.lat, query.limit + 1)
        : await this.repository.list(user.agencyId, query.cursor, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toHazard),
      ...(rows.length > query.limit && last && query.lon === undefined
        ? { nextCursor: last.id }
        : {}),
    };
  }

  async get(user: AccessClaims, id: string): Promise<Hazard> {
    return toHazard(await this.found(user.agencyId, id));
  }

  async update(user: AccessClaims, id: string, request: UpdateHazardRequest): Promise<Hazard> {
    const current = await this.found(user.agencyId, id);
    const area = request.area ?? current.area;
    const fields: HazardFields = {
      title: request.title ?? current.title,
      details: request.details !== undefined ? request.details : current.details,
      severity: request.severity ?? current.severity,
      address: request.address !== undefined ? request.address : current.address,
      area,
      radiusM: request.radiusM ?? Number(current.radius_m),
      expiresAt:
        request.expiresAt !== undefined
          ? request.expiresAt
          : current.expires_at
            ? new Date(current.expires_at).toISOString()
            : null,
    };
    if (request.area) {
      await this.assertValidArea(fields);
    }
    const updated = await this.unitOfWork.run(async (tx) => {
      const row = await this.repository.update(user.agencyId, id, fields, tx.client);
      if (row) {
        describeChange({ before: toHazard(current), after: toHazard(row) }, id);
      }
      return row;
    });
    // An update may give an expired hazard a new expiry: it is in force again.
    this.written(user.agencyId);
    if (!updated) {
      throw HazardException.notFound(id);
    }
    return toHazard(updated);
  }

  async delete(user: AccessClaims, id: string): Promise<void> {
    const deleted = await this.unitOfWork.run(async (tx) => {
      const before = await this.repository.findById(user.agencyId, id);
      if (before) {
        describeChange({ before: toHazard(before) }, id);
      }
      return this.repository.delete(user.agencyId, id, tx.client);
    });
    this.written(user.agencyId);
    if (!deleted) {
      throw HazardException.notFound(id);
    }
  }

  /** The hazards at an incident's location (404 for an incident of another agency). */
  async ofIncident(user: AccessClaims, incidentId: string): Promise<IncidentHazards> {
    const incident = await this.incidents.get(user, incidentId);
    const [lon, lat] = incident.location.coordinates;
    const rows = await this.repository.atPoint(user.agencyId, lon, lat, MAX_HAZARD_NOTICES);
    return { items: rows.map(toHazard) };
  }

  /**
   * The hazards at a point for the nearest-unit answer: {@link noticesAt}, skipped while this
   * replica knows that the agency has no hazard in force. That is asked at most once per
   * {@link HAZARD_PRESENCE_READ_CACHE_MS} per agency, so an agency without hazards pays no
   * point lookup per request (docs/adr/0031); an agency with hazards gets the point lookup on
   * every request, as before.
   */
  async noticesForNearest(agencyId: string, lon: number, lat: number): Promise<HazardNotice[]> {
    const now = Date.now();
    let known = this.presence.get(agencyId);
    if (!known || known.expiresAt <= now) {
      const writes = this.writes;
      known = {
        any: await this.repository.anyInForce(agencyId),
        expiresAt: now + HAZARD_PRESENCE_READ_CACHE_MS,
      };
      if (writes === this.writes) {
        this.presence.set(agencyId, known);
      }
    }
    return known.any ? this.noticesAt(agencyId, lon, lat) : [];
  }

  /** What travels with a recommendation or a command at a point, most severe first. */
  async noticesAt(
    agencyId: string,
    lon: number,
    lat: number,
    client?: SqlClient,
  ): Promise<HazardNotice[]> {
    const rows = await this.repository.atPoint(agencyId, lon, lat, MAX_HAZARD_NOTICES, client);
    return rows.map(toHazardNotice);
  }

  /** After a committed hazard write: this replica asks again on the next nearest request. */
  private written(agencyId: string): void {
    this.writes += 1;
    this.presence.delete(agencyId);
  }

  private async found(agencyId: string, id: string): Promise<HazardRow> {
    const row = await this.repository.findById(agencyId, id);
    if (!row) {
      throw HazardException.notFound(id);
    }
    return row;
  }

  private async assertValidArea(fields: HazardFields): Promise<void> {
    if (fields.area.type === 'Polygon' && !(await this.repository.isValidArea(fields.area))) {
      throw HazardException.areaInvalid();
    }
  }
}
