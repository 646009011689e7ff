import { Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EventTypes,
  uuidv7,
  type AccessClaims,
  type Actor,
  type Call,
  type CallDuplicateCandidate,
  type CallList,
  type CallLinkedV1,
  type CallWithIncident,
  type CreateCallRequest,
  type CreateIncidentFromCallRequest,
  type ListCallsQuery,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import { AgencySettingsReader } from '../agencies/agency-settings.reader';
import { FINAL_INCIDENT_STATUSES } from '../incidents/incident-status.constants';
import { IncidentException } from '../incidents/incidents.exception';
import { toIncident } from '../incidents/incidents.mapper';
import { IncidentsRepository, type IncidentRow } from '../incidents/incidents.repository';
import { IncidentsService } from '../incidents/incidents.service';
import { IncidentTypesService } from '../incident-types/incident-types.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { actorOf } from '../timeline/timeline.mapper';
import { CallException } from './calls.exception';
import { toCall, toCallReceivedV1 } from './calls.mapper';
import { CallsRepository, type CallRow } from './calls.repository';

/**
 * Call intake: a call is recorded as it is taken (with a possible-duplicate flag when an open
 * incident of its type is near in space and time), then linked to a new or an existing incident.
 */
@Injectable()
export class CallsService {
  constructor(
    private readonly repository: CallsRepository,
    private readonly incidents: IncidentsService,
    private readonly incidentRows: IncidentsRepository,
    private readonly types: IncidentTypesService,
    private readonly transactions: DispatchTransactions,
    private readonly agencySettings: AgencySettingsReader,
  ) {}

  async create(user: AccessClaims, request: CreateCallRequest): Promise<Call> {
    const receivedAt = request.receivedAt
      ? new Date(request.receivedAt).toISOString()
      : new Date().toISOString();
    const duplicateCandidates = await this.duplicatesOf(user.agencyId, request, receivedAt);
    const row = await this.transactions.run(async (tx) => {
      const inserted = await this.repository.insert(tx.client, {
        id: uuidv7(),
        agencyId: user.agencyId,
        channel: request.channel,
        callerName: request.callerName,
        callbackNumber: request.callbackNumber,
        locationText: request.locationText,
        lon: request.location?.coordinates[0],
        lat: request.location?.coordinates[1],
        receivedAt,
        incidentType: request.incidentType,
        description: request.description,
        duplicateCandidates,
        createdBy: user.sub,
      });
      tx.emit(
        createEnvelope({
          type: EventTypes.CallReceived,
          agencyId: user.agencyId,
          actor: actorOf(user),
          traceparent: currentTraceparent(),
          data: toCallReceivedV1(toCall(inserted)),
        }),
      );
      return inserted;
    });
    return toCall(row);
  }

  async list(user: AccessClaims, query: ListCallsQuery): Promise<CallList> {
    const rows = await this.repository.list(user.agencyId, {
      unlinked: query.unlinked === undefined ? undefined : query.unlinked === 'true',
      incidentId: query.incidentId,
      from: query.from,
      to: query.to,
      limit: query.limit,
    });
    return { items: rows.map(toCall) };
  }

  async get(user: AccessClaims, id: string): Promise<Call> {
    const row = await this.repository.findById(user.agencyId, id);
    if (!row) {
      throw CallException.notFound(id);
    }
    return toCall(row);
  }

  /** The calls of an incident, oldest first. */
  async ofIncident(agencyId: string, incidentId: string): Promise<Call[]> {
    return (await this.repository.listByIncident(agencyId, incidentId)).map(toCall);
  }

  /** Links an unlinked call to an open incident (several calls may share one). */
  async link(user: AccessClaims, id: string, incidentId: string): Promise<Call> {
    const [row] = await this.transactions.run(async (tx) => {
      const incident = await this.openIncident(tx, user.agencyId, incidentId);
      const call = await this.unlinkedCall(tx, user.agencyId, id);
      return this.attach(tx, actorOf(user), incident, [call]);
    });
    return toCall(row);
  }

  /** A new incident from an unlinked call, linked to it, in one transaction. */
  async createIncident(
    user: AccessClaims,
    id: string,
    request: CreateIncidentFromCallRequest,
  ): Promise<CallWithIncident> {
    const known = await this.repository.findById(user.agencyId, id);
    if (!known) {
      throw CallException.notFound(id);
    }
    const type = request.type ?? known.incident_type;
    if (!type) {
      throw CallException.typeRequired(id);
    }
    const location =
      request.location ??
      (known.lon === null || known.lat === null
        ? undefined
        : {
            type: 'Point' as const,
            coordinates: [Number(known.lon), Number(known.lat)] as [number, number],
          });
    if (!location) {
      throw CallException.locationRequired(id);
    }
    const [priority, zone] = await Promise.all([
      this.types.priorityFor(user.agencyId, type, request.priority),
      this.incidents.zoneAt(user, location.coordinates),
    ]);
    const { call, incident } = await this.transactions.run(async (tx) => {
      // The new incident is nobody else's to lock yet: the call's lock comes first here.
      const locked = await this.unlinkedCall(tx, user.agencyId, id);
      const created = await this.incidents.insert(tx, user, {
        type,
        priority,
        zone,
        location,
        ...(locked.location_text ? { address: locked.location_text } : {}),
        ...((request.description ?? locked.description)
          ? { description: request.description ?? locked.description ?? undefined }
          : {}),
      });
      const [linked] = await this.attach(tx, actorOf(user), created, [locked]);
      return { call: linked, incident: created };
    });
    return { call: toCall(call), incident: toIncident(incident) };
  }

  /**
   * Links locked calls to a locked incident in the caller's transaction: the incident's timeline
   * and one `call.linked` per call (`previousIncidentId` when a merge or split moves it).
   */
  async attach(
    tx: DispatchTx,
    actor: Actor,
    incident: IncidentRow,
    calls: readonly CallRow[],
  ): Promise<CallRow[]> {
    if (calls.length === 0) {
      return [];
    }
    const linked = await this.repository.link(
      tx.client,
      incident.agency_id,
      calls.map((call) => call.id),
      incident.id,
      actor.id,
    );
    const previous = new Map(calls.map((call) => [call.id, call.incident_id]));
    for (const call of linked) {
      const from = previous.get(call.id) ?? undefined;
      tx.note({
        agencyId: incident.agency_id,
        incidentId: incident.id,
        kind: 'call.linked',
        actor,
        message: `${actor.id} linked the ${call.channel} call${
          call.caller_name ? ` of ${call.caller_name}` : ''
        } received ${new Date(call.received_at).toISOString()}${from ? ` (from ${from})` : ''}`,
        detail: {
          callId: call.id,
          channel: call.channel,
          receivedAt: new Date(call.received_at).toISOString(),
          ...(from ? { previousIncidentId: from } : {}),
        },
      });
      tx.emit(
        createEnvelope({
          type: EventTypes.CallLinked,
          agencyId: incident.agency_id,
          actor,
          traceparent: currentTraceparent(),
          data: {
            callId: call.id,
            incidentId: incident.id,
            ...(from ? { previousIncidentId: from } : {}),
            linkedAt: new Date(call.linked_at ?? new Date()).toISOString(),
          } satisfies CallLinkedV1,
        }),
      );
    }
    return linked;
  }

  /** Locks calls (after their incident); 404 naming the first one absent. */
  async lockCalls(tx: DispatchTx, agencyId: string, ids: readonly string[]): Promise<CallRow[]> {
    const unique = [...new Set(ids)];
    const rows = await this.repository.lock(tx.client, agencyId, unique);
    const missing = unique.find((id) => !rows.some((row) => row.id === id));
    if (missing) {
      throw CallException.notFound(missing);
    }
    return rows;
  }

  private async unlinkedCall(tx: DispatchTx, agencyId: string, id: string): Promise<CallRow> {
    const [call] = await this.lockCalls(tx, agencyId, [id]);
    if (call.incident_id) {
      throw CallException.alreadyLinked(id, call.incident_id);
    }
    return call;
  }

  private async openIncident(tx: DispatchTx, agencyId: string, id: string): Promise<IncidentRow> {
    const incident = await this.incidents.lockOrThrow(tx, agencyId, id);
    if (FINAL_INCIDENT_STATUSES.includes(incident.status) || incident.merged_into_id) {
      throw IncidentException.notOpen(id, incident.status);
    }
    return incident;
  }

  /** Open incidents of the call's type within the agency's duplicate window and distance. */
  private async duplicatesOf(
    agencyId: string,
    request: CreateCallRequest,
    receivedAt: string,
  ): Promise<CallDuplicateCandidate[]> {
    if (!request.location || !request.incidentType) {
      return [];
    }
    const settings = await this.agencySettings.settings(agencyId);
    if (settings.callDuplicateWindowS === 0) {
      return [];
    }
    const [lon, lat] = request.location.coordinates;
    const rows = await this.incidentRows.openNear(agencyId, {
      type: request.incidentType,
      lon,
      lat,
      distanceM: settings.callDuplicateDistanceM,
      windowS: settings.callDuplicateWindowS,
      at: receivedAt,
    });
    return rows.map((row) => ({
      incidentId: row.id,
      type: row.type,
      status: row.status,
      distanceM: Math.round(Number(row.distance_m)),
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }
}
