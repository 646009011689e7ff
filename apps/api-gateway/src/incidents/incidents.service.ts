import { Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EventTypes,
  uuidv7,
  type AccessClaims,
  type Actor,
  type CreateIncidentRequest,
  type Incident,
  type IncidentList,
  type IncidentPriority,
  type IncidentStatus,
  type IncidentTimeline,
  type IncidentUpdatedV1,
  type ListIncidentsQuery,
  type UpdateIncidentRequest,
} from '@gad/contracts';
import { describeChange } from '@gad/audit';
import { currentTraceparent } from '@gad/observability';
import { IncidentTypesService } from '../incident-types/incident-types.service';
import { ZonesService, type ZoneLookup } from '../zones/zones.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { actorOf, toTimelineEntry } from '../timeline/timeline.mapper';
import { TimelineRepository } from '../timeline/timeline.repository';
import { canIncidentMove } from './incident-status.constants';
import { IncidentException } from './incidents.exception';
import {
  decodeIncidentCursor,
  encodeIncidentCursor,
  toIncident,
  toIncidentCreatedV1,
  toIncidentStatusChangedV1,
} from './incidents.mapper';
import {
  IncidentsRepository,
  type IncidentChanges,
  type IncidentRow,
} from './incidents.repository';

export interface IncidentStatusCause {
  actor: Actor;
  reason?: string;
  /** How an ending incident ended (recorded on the incident, in the timeline and the event). */
  disposition?: { code: string; summary?: string };
}

/** `If-Match` values (`"3"`, `W/"3"`, `"2", "3"`, `*`) → whether `version` matches. */
export function ifMatchAccepts(header: string, version: number): boolean {
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === `"${version}"`);
}

type UpdatableField = keyof IncidentUpdatedV1['changes'];

@Injectable()
export class IncidentsService {
  constructor(
    private readonly repository: IncidentsRepository,
    private readonly timeline: TimelineRepository,
    private readonly transactions: DispatchTransactions,
    private readonly types: IncidentTypesService,
    private readonly zones: ZonesService,
  ) {}

  /**
   * Stores a new incident, its first timeline entry and its `incident.created` event together.
   * Without a priority, the type's default from the agency's catalogue applies. Its zone is looked
   * up beside the priority, before the transaction.
   */
  async create(user: AccessClaims, request: CreateIncidentRequest): Promise<Incident> {
    const [priority, zone] = await Promise.all([
      this.types.priorityFor(user.agencyId, request.type, request.priority),
      this.zoneAt(user, request.location.coordinates),
    ]);
    const row = await this.transactions.run((tx) =>
      this.insert(tx, user, { ...request, priority, zone }),
    );
    return toIncident(row);
  }

  /** The agency's zone geofence at a point (never throws: `unresolved` when geo-service fails). */
  zoneAt(
    user: AccessClaims,
    [lon, lat]: readonly [number, number] | number[],
  ): Promise<ZoneLookup> {
    return this.zones.zoneAt(user, lon, lat);
  }

  /**
   * Inserts an incident in the caller's transaction with its `incident.created` timeline entry and
   * event (call intake and splits create incidents inside their own transaction). A caller that
   * did not look the zone up before its transaction has it looked up here.
   */
  async insert(
    tx: DispatchTx,
    user: AccessClaims,
    request: CreateIncidentRequest & { priority: IncidentPriority; zone?: ZoneLookup },
  ): Promise<IncidentRow> {
    const [lon, lat] = request.location.coordinates;
    const zone = request.zone ?? (await this.zoneAt(user, [lon, lat]));
    const inserted = await this.repository.insert(tx.client, {
      id: uuidv7(),
      agencyId: user.agencyId,
      type: request.type,
      priority: request.priority,
      lon,
      lat,
      address: request.address,
      description: request.description,
      createdBy: user.sub,
      zone,
    });
    tx.note({
      agencyId: user.agencyId,
      incidentId: inserted.id,
      kind: 'incident.created',
      actor: actorOf(user),
      message: `${user.sub} created a ${inserted.priority} ${inserted.type} incident`,
      detail: { priority: inserted.priority, type: inserted.type, status: inserted.status },
    });
    tx.emit(
      createEnvelope({
        type: EventTypes.IncidentCreated,
        agencyId: user.agencyId,
        actor: actorOf(user),
        traceparent: currentTraceparent(),
        data: toIncidentCreatedV1(toIncident(inserted)),
      }),
    );
    return inserted;
  }

  async get(user: AccessClaims, id: string): Promise<Incident> {
    return toIncident(await this.find(user.agencyId, id));
  }

  async list(user: AccessClaims, query: ListIncidentsQuery): Promise<IncidentList> {
    const before = query.cursor === undefined ? undefined : decodeIncidentCursor(query.cursor);
    if (query.cursor !== undefined && !before) {
      throw IncidentException.invalidCursor();
    }
    const rows = await this.repository.list(user.agencyId, {
      statuses: query.status,
      priorities: query.priority,
      type: query.type,
      from: query.from,
      to: query.to,
      bbox: query.bbox,
      before,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(toIncident),
      ...(rows.length > query.limit
        ? { nextCursor: encodeIncidentCursor(page[page.length - 1]) }
        : {}),
    };
  }

  /** Optimistic concurrency: `ifMatch` must name the current version (428 without, 412 stale). */
  async update(
    user: AccessClaims,
    id: string,
    ifMatch: string | undefined,
    request: UpdateIncidentRequest,
  ): Promise<Incident> {
    if (!ifMatch) {
      throw IncidentException.preconditionRequired();
    }
    // A new location may lie in another zone: looked up before the transaction, kept if it moved.
    const zone = request.location
      ? await this.zoneAt(user, request.location.coordinates)
      : undefined;
    const row = await this.transactions.run(async (tx) => {
      const current = await this.lockOrThrow(tx, user.agencyId, id);
      if (!ifMatchAccepts(ifMatch, current.version)) {
        throw IncidentException.versionMismatch(id, current.version);
      }
      const { changes, diff } = changesOf(current, request);
      if (changes.location && zone) {
        changes.zone = zone;
      }
      if (Object.keys(changes).length === 0) {
        return current;
      }
      const updated = await this.repository.update(tx.client, user.agencyId, id, changes);
      // Before and after images of the changed fields (docs/adr/0021).
      describeChange(
        {
          before: { ...imageOf(diff, 'from'), version: current.version },
          after: { ...imageOf(diff, 'to'), version: updated.version },
        },
        id,
      );
      tx.note({
        agencyId: user.agencyId,
        incidentId: id,
        kind: 'incident.updated',
        actor: actorOf(user),
        message: `${user.sub} changed ${Object.keys(diff).join(', ')}`,
        reason: request.reason,
        detail: { changes: diff, version: updated.version },
      });
      tx.emit(
        createEnvelope({
          type: EventTypes.IncidentUpdated,
          agencyId: user.agencyId,
          actor: actorOf(user),
          traceparent: currentTraceparent(),
          data: {
            incidentId: id,
            version: updated.version,
            changes: Object.fromEntries(
              Object.entries(diff).map(([field, change]) => [field, change.to]),
            ) as IncidentUpdatedV1['changes'],
            ...(request.reason ? { reason: request.reason } : {}),
            updatedAt: new Date(updated.updated_at).toISOString(),
          } satisfies IncidentUpdatedV1,
        }),
      );
      return updated;
    });
    return toIncident(row);
  }

  async timelineOf(user: AccessClaims, id: string): Promise<IncidentTimeline> {
    await this.find(user.agencyId, id);
    const rows = await this.timeline.list(user.agencyId, id);
    return { items: rows.map(toTimelineEntry) };
  }

  /** Reads and locks an incident in the caller's transaction; 404 when absent or foreign. */
  async lockOrThrow(tx: DispatchTx, agencyId: string, id: string): Promise<IncidentRow> {
    const row = await this.repository.lock(tx.client, agencyId, id);
    if (!row) {
      throw IncidentException.notFound(id);
    }
    return row;
  }

  /**
   * Moves a locked incident to `to` in the caller's transaction: timeline entry and
   * `incident.status_changed`; 409 with the allowed statuses when the machine forbids it.
   */
  async transition(
    tx: DispatchTx,
    incident: IncidentRow,
    to: IncidentStatus,
    cause: IncidentStatusCause,
  ): Promise<IncidentRow> {
    if (!canIncidentMove(incident.status, to)) {
      throw IncidentException.transitionInvalid(incident.status, to);
    }
    if (cause.disposition) {
      await this.repository.setDisposition(tx.client, incident.agency_id, incident.id, {
        code: cause.disposition.code,
        summary: cause.disposition.summary ?? null,
        by: cause.actor.id,
      });
    }
    const updated = await this.repository.setStatus(tx.client, incident.agency_id, incident.id, to);
    tx.note({
      agencyId: incident.agency_id,
      incidentId: incident.id,
      kind: 'incident.status_changed',
      actor: cause.actor,
      message: `${cause.actor.id} moved the incident from ${incident.status} to ${to}${
        cause.disposition ? ` (${cause.disposition.code})` : ''
      }`,
      reason: cause.reason,
      detail: {
        from: incident.status,
        to,
        ...(cause.disposition
          ? {
              disposition: cause.disposition.code,
              ...(cause.disposition.summary ? { summary: cause.disposition.summary } : {}),
            }
          : {}),
      },
    });
    tx.emit(
      createEnvelope({
        type: EventTypes.IncidentStatusChanged,
        agencyId: incident.agency_id,
        actor: cause.actor,
        traceparent: currentTraceparent(),
        data: toIncidentStatusChangedV1(
          updated,
          incident.status,
          cause.reason,
          cause.disposition?.code,
        ),
      }),
    );
    return updated;
  }

  private async find(agencyId: string, id: string): Promise<IncidentRow> {
    const row = await this.repository.findById(agencyId, id);
    if (!row) {
      throw IncidentException.notFound(id);
    }
    return row;
  }
}

/** The fields that really change, and their before/after for the timeline. */
function changesOf(
  current: IncidentRow,
  request: UpdateIncidentRequest,
): {
  changes: IncidentChanges;
  diff: Partial<Record<UpdatableField, { from: unknown; to: unknown }>>;
} {
  const changes: IncidentChanges = {};
  const diff: Partial<Record<UpdatableField, { from: unknown; to: unknown }>> = {};
  if (request.type !== undefined && request.type !== current.type) {
    changes.type = request.type;
    diff.type = { from: current.type, to: request.type };
  }
  if (request.priority !== undefined && request.priority !== current.priority) {
    changes.priority = request.priority;
    diff.priority = { from: current.priority, to: request.priority };
  }
  if (request.location !== undefined) {
    const [lon, lat] = request.location.coordinates;
    if (lon !== Number(current.lon) || lat !== Number(current.lat)) {
      changes.location = { lon, lat };
      diff.location = {
        from: { type: 'Point', coordinates: [Number(current.lon), Number(current.lat)] },
        to: request.location,
      };
    }
  }
  if (request.address !== undefined && request.address !== current.address) {
    changes.address = request.address;
    diff.address = { from: current.address, to: request.address };
  }
  if (request.description !== undefined && request.description !== current.description) {
    changes.description = request.description;
    diff.description = { from: current.description, to: request.description };
  }
  return { changes, diff };
}

/** One side (`from` or `to`) of an incident diff, as the audit trail's before or after image. */
function imageOf(
  diff: Partial<Record<string, { from: unknown; to: unknown }>>,
  side: 'from' | 'to',
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(diff).map(([field, change]) => [field, change?.[side]]));
}
