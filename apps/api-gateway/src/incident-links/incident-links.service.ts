import { Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EventTypes,
  type AccessClaims,
  type Actor,
  type Incident,
  type IncidentLinks,
  type IncidentsLinkedV1,
  type MergeIncidentRequest,
  type SplitIncidentRequest,
  type SplitIncidentResult,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import { AssignmentsRepository } from '../assignments/assignments.repository';
import { AssignmentsService } from '../assignments/assignments.service';
import { CallException } from '../calls/calls.exception';
import { toCall } from '../calls/calls.mapper';
import { CallsService } from '../calls/calls.service';
import { FINAL_INCIDENT_STATUSES } from '../incidents/incident-status.constants';
import { IncidentException } from '../incidents/incidents.exception';
import { toIncident } from '../incidents/incidents.mapper';
import { IncidentsRepository, type IncidentRow } from '../incidents/incidents.repository';
import { IncidentsService } from '../incidents/incidents.service';
import { IncidentTypesService } from '../incident-types/incident-types.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { actorOf } from '../timeline/timeline.mapper';

/** The disposition a merged duplicate is cancelled with. */
export const MERGE_DISPOSITION = 'duplicate';

/**
 * Linked incidents: a duplicate merged into its primary (calls move over, its units are freed, it
 * is cancelled as `duplicate` and remembers its primary) and calls split off into a new incident.
 * Both timelines stay whole and name each other.
 */
@Injectable()
export class IncidentLinksService {
  constructor(
    private readonly incidents: IncidentsService,
    private readonly incidentRows: IncidentsRepository,
    private readonly types: IncidentTypesService,
    private readonly calls: CallsService,
    private readonly assignments: AssignmentsService,
    private readonly assignmentRows: AssignmentsRepository,
    private readonly transactions: DispatchTransactions,
  ) {}

  async merge(user: AccessClaims, id: string, request: MergeIncidentRequest): Promise<Incident> {
    const primaryId = request.primaryIncidentId;
    if (primaryId === id) {
      throw IncidentException.sameIncident(id);
    }
    const actor = actorOf(user);
    const row = await this.transactions.run(async (tx) => {
      // Two incidents: locked in id order, so two opposite merges cannot deadlock.
      const [first, second] = [id, primaryId].sort();
      const locked = new Map<string, IncidentRow>();
      for (const incidentId of [first, second]) {
        locked.set(incidentId, await this.incidents.lockOrThrow(tx, user.agencyId, incidentId));
      }
      const duplicate = this.open(locked.get(id) as IncidentRow);
      const primary = this.open(locked.get(primaryId) as IncidentRow);
      const known = await this.calls.ofIncident(user.agencyId, id);
      const calls = await this.calls.lockCalls(
        tx,
        user.agencyId,
        known.map((call) => call.id),
      );
      await this.calls.attach(tx, actor, primary, calls);
      const open = await this.assignmentRows.lockOpenByIncident(tx.client, user.agencyId, id);
      for (const assignment of open) {
        await this.assignments.advance(tx, assignment, 'cleared', {
          actor,
          agencyId: user.agencyId,
          reason: `incident merged into ${primaryId}`,
        });
      }
      await this.incidentRows.setMergedInto(tx.client, user.agencyId, id, primaryId);
      await this.incidents.transition(tx, duplicate, 'cancelled', {
        actor,
        reason: request.reason ?? `duplicate of ${primaryId}`,
        disposition: { code: MERGE_DISPOSITION, summary: `merged into ${primaryId}` },
      });
      const callIds = calls.map((call) => call.id);
      this.noteBoth(tx, user.agencyId, actor, {
        kind: 'incident.merged',
        incidentId: id,
        otherIncidentId: primaryId,
        message: `${user.sub} merged this incident into ${primaryId}`,
        otherMessage: `${user.sub} merged duplicate ${id} into this incident`,
        callIds,
        reason: request.reason,
      });
      this.emitLinked(tx, user.agencyId, actor, {
        kind: 'merge',
        incidentId: id,
        otherIncidentId: primaryId,
        callIds,
        ...(request.reason ? { reason: request.reason } : {}),
      });
      return (await this.incidents.lockOrThrow(tx, user.agencyId, id)) as IncidentRow;
    });
    return toIncident(row);
  }

  async split(
    user: AccessClaims,
    id: string,
    request: SplitIncidentRequest,
  ): Promise<SplitIncidentResult> {
    const actor = actorOf(user);
    return this.transactions.run(async (tx) => {
      const source = this.open(await this.incidents.lockOrThrow(tx, user.agencyId, id));
      const calls = await this.calls.lockCalls(tx, user.agencyId, request.callIds);
      const foreign = calls.filter((call) => call.incident_id !== id).map((call) => call.id);
      if (foreign.length > 0) {
        throw CallException.notOfIncident(foreign, id);
      }
      const byTime = [...calls].sort(
        (a, b) => new Date(a.received_at).getTime() - new Date(b.received_at).getTime(),
      );
      const type =
        request.type ?? byTime.find((call) => call.incident_type)?.incident_type ?? source.type;
      const priority =
        request.priority ??
        (await this.types.findActive(user.agencyId, type))?.default_priority ??
        source.priority;
      const located = byTime.find((call) => call.lon !== null && call.lat !== null);
      const coordinates: [number, number] = located
        ? [Number(located.lon), Number(located.lat)]
        : [Number(source.lon), Number(source.lat)];
      const address = located?.location_text ?? byTime[0]?.location_text ?? undefined;
      const created = await this.incidents.insert(tx, user, {
        type,
        priority,
        location: { type: 'Point', coordinates },
        ...(address ? { address } : {}),
      });
      await this.incidentRows.setSplitFrom(tx.client, user.agencyId, created.id, id);
      const moved = await this.calls.attach(tx, actor, created, calls);
      const callIds = moved.map((call) => call.id);
      this.noteBoth(tx, user.agencyId, actor, {
        kind: 'incident.split',
        incidentId: id,
        otherIncidentId: created.id,
        message: `${user.sub} split ${callIds.length} call(s) off into ${created.id}`,
        otherMessage: `${user.sub} split this incident off ${id}`,
        callIds,
        reason: request.reason,
      });
      this.emitLinked(tx, user.agencyId, actor, {
        kind: 'split',
        incidentId: created.id,
        otherIncidentId: id,
        callIds,
        ...(request.reason ? { reason: request.reason } : {}),
      });
      const incident = (await this.incidents.lockOrThrow(
        tx,
        user.agencyId,
        created.id,
      )) as IncidentRow;
      return { incident: toIncident(incident), calls: moved.map(toCall) };
    });
  }

  async links(user: AccessClaims, id: string): Promise<IncidentLinks> {
    const incident = await this.incidents.get(user, id);
    const linked = await this.incidentRows.linked(user.agencyId, id);
    return {
      incidentId: id,
      mergedIntoId: incident.mergedIntoId ?? null,
      mergedIds: linked.filter((row) => row.merged_into_id === id).map((row) => row.id),
      splitFromId: incident.splitFromId ?? null,
      splitIds: linked.filter((row) => row.split_from_id === id).map((row) => row.id),
      calls: await this.calls.ofIncident(user.agencyId, id),
    };
  }

  /** Merges and splits need incidents that still run (not ended, not merged away). */
  private open(incident: IncidentRow): IncidentRow {
    if (FINAL_INCIDENT_STATUSES.includes(incident.status) || incident.merged_into_id) {
      throw IncidentException.notOpen(incident.id, incident.status);
    }
    return incident;
  }

  private noteBoth(
    tx: DispatchTx,
    agencyId: string,
    actor: Actor,
    link: {
      kind: 'incident.merged' | 'incident.split';
      incidentId: string;
      otherIncidentId: string;
      message: string;
      otherMessage: string;
      callIds: string[];
      reason?: string;
    },
  ): void {
    for (const [incidentId, otherIncidentId, message] of [
      [link.incidentId, link.otherIncidentId, link.message],
      [link.otherIncidentId, link.incidentId, link.otherMessage],
    ] as const) {
      tx.note({
        agencyId,
        incidentId,
        kind: link.kind,
        actor,
        message,
        reason: link.reason,
        detail: { otherIncidentId, callIds: link.callIds },
      });
    }
  }

  private emitLinked(
    tx: DispatchTx,
    agencyId: string,
    actor: Actor,
    data: Omit<IncidentsLinkedV1, 'linkedAt'>,
  ): void {
    tx.emit(
      createEnvelope({
        type: EventTypes.IncidentsLinked,
        agencyId,
        actor,
        traceparent: currentTraceparent(),
        data: { ...data, linkedAt: new Date().toISOString() } satisfies IncidentsLinkedV1,
      }),
    );
  }
}
