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
 * Premise and hazard information of an agency: kept per address point or polygon, shown with
 * the nearest recommendation at a point and sent with the dispatch command to the units going
 * there (`assignment.created` → command payload `hazards`).
 */
@Injectable()
export class HazardsService {
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
    return toHazard(
      await this.unitOfWork.run((tx) =>
        this.repository.insert(id, user.agencyId, user.sub, fields, tx.client),
      ),
    );
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
