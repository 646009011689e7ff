import { Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EventTypes,
  GEO_RPC_SERVICE,
  uuidv7,
  type AccessClaims,
  type Actor,
  type Assignment,
  type AssignmentList,
  type AssignmentStatus,
  type ChangeAssignmentStatusRequest,
  type ChangeIncidentStatusRequest,
  type CreateAssignmentRequest,
  type GeoNearestRequest,
  type Incident,
  type NearestUnit,
} from '@gad/contracts';
import { GeoReadModel } from '@gad/geo-read';
import { currentTraceparent } from '@gad/observability';
import {
  ASSIGNABLE_INCIDENT_STATUSES,
  FINAL_INCIDENT_STATUSES,
} from '../incidents/incident-status.constants';
import { IncidentException } from '../incidents/incidents.exception';
import { toIncident } from '../incidents/incidents.mapper';
import type { IncidentRow } from '../incidents/incidents.repository';
import { ifMatchAccepts, IncidentsService } from '../incidents/incidents.service';
import { AgencySettingsReader } from '../agencies/agency-settings.reader';
import { HazardsService } from '../hazards/hazards.service';
import { DispatchTransactions, type DispatchTx } from '../timeline/dispatch-transactions.service';
import { dispatchInstruments } from '../timeline/dispatch.metrics';
import { actorOf } from '../timeline/timeline.mapper';
import { ASSIGNABLE_UNIT_STATUSES, canUnitMove } from '../units/unit-status.constants';
import { UnitException } from '../units/units.exception';
import { isUniqueViolation, type UnitRow } from '../units/units.repository';
import { mayActOnUnit, UnitsService } from '../units/units.service';
import { canAssignmentMove, NEAREST_CANDIDATES } from './assignment-status.constants';
import { AssignmentException } from './assignments.exception';
import { toAssignment, toAssignmentCreatedV1, toAssignmentUpdatedV1 } from './assignments.mapper';
import {
  AssignmentsRepository,
  type AssignmentRecommendation,
  type AssignmentRow,
} from './assignments.repository';

export interface AssignmentStepCause {
  actor: Actor;
  agencyId: string;
  reason?: string;
}

function metres(distanceM: number): string {
  return `${Math.round(distanceM)} m`;
}

/**
 * Dispatch decisions: which unit works which incident, and every step of that assignment, with
 * the unit and incident status following along (unit dispatched → available on clear or decline;
 * incident new → dispatched → in_progress on arrival; ending an incident clears its assignments).
 */
@Injectable()
export class AssignmentsService {
  constructor(
    private readonly repository: AssignmentsRepository,
    private readonly incidents: IncidentsService,
    private readonly units: UnitsService,
    private readonly transactions: DispatchTransactions,
    private readonly geoRead: GeoReadModel,
    private readonly agencySettings: AgencySettingsReader,
    private readonly hazards: HazardsService,
  ) {}

  async create(
    user: AccessClaims,
    incidentId: string,
    request: CreateAssignmentRequest,
  ): Promise<Assignment> {
    const candidates =
      'strategy' in request ? await this.nearestCandidates(user, incidentId, request) : undefined;
    const row = await this.transactions.run(async (tx) => {
      const incident = await this.incidents.lockOrThrow(tx, user.agencyId, incidentId);
      if (!ASSIGNABLE_INCIDENT_STATUSES.includes(incident.status)) {
        throw IncidentException.notAssignable(incidentId, incident.status);
      }
      const unit =
        'unitId' in request
          ? await this.assignableUnit(tx, user.agencyId, request.unitId)
          : await this.firstAssignable(tx, user.agencyId, candidates?.items ?? []);
      if (!unit) {
        dispatchInstruments().nearest.add(1, { outcome: 'no_unit' });
        throw AssignmentException.noUnitAvailable(candidates?.excluded);
      }

      const suggested = candidates?.items[0];
      const recommendation: AssignmentRecommendation | undefined = suggested && {
        unitId: suggested.unitId,
        ...(suggested.callSign ? { callSign: suggested.callSign } : {}),
        distanceM: Math.round(suggested.distanceM),
      };
      if (candidates) {
        tx.note({
          agencyId: user.agencyId,
          incidentId,
          kind: 'assignment.recommended',
          actor: { kind: 'service', id: GEO_RPC_SERVICE },
          message:
            candidates.items.length > 0
              ? `suggested ${candidates.items
                  .map((item) => `${item.callSign ?? item.unitId} at ${metres(item.distanceM)}`)
                  .join(', ')}`
              : 'no available unit with a fresh position',
          detail: {
            candidates: candidates.items.map((item) => ({
              unitId: item.unitId,
              callSign: item.callSign,
              distanceM: Math.round(item.distanceM),
              recordedAt: item.recordedAt,
            })),
            ...(candidates.excluded ? { excluded: candidates.excluded } : {}),
            capabilities: 'capabilities' in request ? (request.capabilities ?? []) : [],
          },
        });
      }
      const { assignment: created } = await this.assignInTx(tx, user, incident, unit, {
        recommendation,
        note: request.note,
        strategy: 'strategy' in request ? request.strategy : 'unit',
      });
      return created;
    });
    if (candidates) {
      dispatchInstruments().nearest.add(1, { outcome: 'assigned' });
    }
    return toAssignment(row);
  }

  /**
   * Assigns a locked, assignable unit to a locked, assignable incident in the caller's
   * transaction: the assignment, its timeline entry and `assignment.created`, the unit dispatched
   * and a new incident dispatched. Returns the incident as it is afterwards.
   */
  async assignInTx(
    tx: DispatchTx,
    user: AccessClaims,
    incident: IncidentRow,
    unit: UnitRow,
    options: {
      recommendation?: AssignmentRecommendation;
      note?: string;
      strategy: string;
      reason?: string;
    },
  ): Promise<{ assignment: AssignmentRow; incident: IncidentRow }> {
    const { recommendation } = options;
    const created = await this.repository
      .insert(tx.client, {
        id: uuidv7(),
        agencyId: user.agencyId,
        incidentId: incident.id,
        unitId: unit.id,
        createdBy: user.sub,
        recommendation,
      })
      .catch((error: unknown) => {
        // The unit already has an open assignment (the unique index is the last word).
        throw isUniqueViolation(error) ? UnitException.busy(unit.id, unit.status) : error;
      });
    const actor = actorOf(user);
    tx.note({
      agencyId: user.agencyId,
      incidentId: incident.id,
      kind: 'assignment.created',
      actor,
      message: recommendation
        ? `suggested ${recommendation.callSign ?? recommendation.unitId} at ${metres(recommendation.distanceM)}; ${user.sub} chose ${unit.call_sign}`
        : `${user.sub} assigned ${unit.call_sign}`,
      reason: options.note,
      detail: {
        assignmentId: created.id,
        unitId: unit.id,
        callSign: unit.call_sign,
        strategy: options.strategy,
        ...(recommendation ? { recommendation } : {}),
      },
    });
    tx.emit(
      createEnvelope({
        type: EventTypes.AssignmentCreated,
        agencyId: user.agencyId,
        actor,
        traceparent: currentTraceparent(),
        data: toAssignmentCreatedV1(
          created,
          incident,
          await this.hazards.noticesAt(
            user.agencyId,
            Number(incident.lon),
            Number(incident.lat),
            tx.client,
          ),
        ),
      }),
    );
    // Recommendation and decision first, then what follows from them.
    await this.units.transition(tx, unit, 'dispatched', {
      actor,
      agencyId: user.agencyId,
      incidentId: incident.id,
    });
    const after =
      incident.status === 'new'
        ? await this.incidents.transition(tx, incident, 'dispatched', {
            actor,
            reason: options.reason ?? `${unit.call_sign} dispatched`,
          })
        : incident;
    return { assignment: created, incident: after };
  }

  async listByIncident(user: AccessClaims, incidentId: string): Promise<AssignmentList> {
    await this.incidents.get(user, incidentId);
    const rows = await this.repository.listByIncident(user.agencyId, incidentId);
    return { items: rows.map(toAssignment) };
  }

  async get(user: AccessClaims, id: string): Promise<Assignment> {
    const row = await this.repository.findById(user.agencyId, id);
    if (!row) {
      throw AssignmentException.notFound(id);
    }
    return toAssignment(row);
  }

  /** A step over REST: dispatchers on any assignment, officers on their own unit's. */
  async changeStatus(
    user: AccessClaims,
    id: string,
    request: ChangeAssignmentStatusRequest,
  ): Promise<Assignment> {
    const known = await this.repository.findById(user.agencyId, id);
    if (!known) {
      throw AssignmentException.notFound(id);
    }
    if (!mayActOnUnit(user, { id: known.unit_id, crew: known.crew })) {
      throw UnitException.notYourUnit(known.unit_id);
    }
    const row = await this.transactions.run(async (tx) => {
      // Lock order everywhere: incident, assignment, unit.
      await this.incidents.lockOrThrow(tx, user.agencyId, known.incident_id);
      const assignment = await this.lockOrThrow(tx, user.agencyId, id);
      if (assignment.status === request.status) {
        return assignment;
      }
      return this.advance(tx, assignment, request.status, {
        actor: actorOf(user),
        agencyId: user.agencyId,
        reason: request.reason,
      });
    });
    return toAssignment(row);
  }

  /**
   * Incident status over REST. Closing or cancelling an incident clears its open assignments and
   * frees their units in the same transaction. `If-Match` is optional here (412 when stale).
   */
  async changeIncidentStatus(
    user: AccessClaims,
    incidentId: string,
    request: ChangeIncidentStatusRequest,
    ifMatch?: string,
  ): Promise<Incident> {
    const disposition = await this.dispositionOf(user.agencyId, request);
    const row = await this.transactions.run(async (tx) => {
      const incident = await this.incidents.lockOrThrow(tx, user.agencyId, incidentId);
      if (ifMatch && !ifMatchAccepts(ifMatch, incident.version)) {
        throw IncidentException.versionMismatch(incidentId, incident.version);
      }
      if (incident.status === request.status) {
        return incident;
      }
      const actor = actorOf(user);
      const updated = await this.incidents.transition(tx, incident, request.status, {
        actor,
        reason: request.reason,
        disposition,
      });
      if (FINAL_INCIDENT_STATUSES.includes(request.status)) {
        const open = await this.repository.lockOpenByIncident(tx.client, user.agencyId, incidentId);
        for (const assignment of open) {
          await this.advance(tx, assignment, 'cleared', {
            actor,
            agencyId: user.agencyId,
            reason: `incident ${request.status}`,
          });
        }
      }
      return updated;
    });
    return toIncident(row);
  }

  /**
   * The disposition of a status change: required to close (`closed`), allowed on a cancellation,
   * always a code of the agency's list (422 naming the allowed codes otherwise).
   */
  private async dispositionOf(
    agencyId: string,
    request: ChangeIncidentStatusRequest,
  ): Promise<{ code: string; summary?: string } | undefined> {
    if (request.disposition === undefined && request.status !== 'closed') {
      return undefined;
    }
    const allowed = (await this.agencySettings.settings(agencyId)).dispositionCodes;
    if (request.disposition === undefined) {
      throw IncidentException.dispositionRequired(allowed);
    }
    if (
      !allowed.includes(request.disposition) ||
      !FINAL_INCIDENT_STATUSES.includes(request.status)
    ) {
      throw IncidentException.dispositionUnknown(request.disposition, allowed);
    }
    return {
      code: request.disposition,
      ...(request.summary ? { summary: request.summary } : {}),
    };
  }

  /**
   * Locks an assignment in the order every writer uses (incident, then assignment; the unit
   * follows in {@link advance}); undefined when absent or another agency's.
   */
  async findLocked(
    tx: DispatchTx,
    agencyId: string,
    id: string,
  ): Promise<AssignmentRow | undefined> {
    const incidentId = await this.repository.incidentOf(tx.client, agencyId, id);
    if (!incidentId) {
      return undefined;
    }
    await this.incidents.lockOrThrow(tx, agencyId, incidentId);
    return this.repository.lock(tx.client, agencyId, id);
  }

  async lockOrThrow(tx: DispatchTx, agencyId: string, id: string): Promise<AssignmentRow> {
    const row = await this.repository.lock(tx.client, agencyId, id);
    if (!row) {
      throw AssignmentException.notFound(id);
    }
    return row;
  }

  /**
   * Moves a locked assignment to `to` in the caller's transaction (409 with the allowed statuses
   * otherwise): timeline entry, `assignment.updated`, and the unit (and incident) following along.
   */
  async advance(
    tx: DispatchTx,
    assignment: AssignmentRow,
    to: AssignmentStatus,
    cause: AssignmentStepCause,
  ): Promise<AssignmentRow> {
    if (!canAssignmentMove(assignment.status, to)) {
      throw AssignmentException.transitionInvalid(assignment.status, to);
    }
    const updated = await this.repository.setStatus(
      tx.client,
      cause.agencyId,
      assignment.id,
      to,
      to === 'declined' ? (cause.reason ?? 'no reason given') : undefined,
    );
    tx.note({
      agencyId: cause.agencyId,
      incidentId: assignment.incident_id,
      kind: 'assignment.updated',
      actor: cause.actor,
      message: `${assignment.call_sign}: ${assignment.status} → ${to}`,
      reason: cause.reason,
      detail: {
        assignmentId: assignment.id,
        unitId: assignment.unit_id,
        from: assignment.status,
        to,
      },
    });
    tx.emit(
      createEnvelope({
        type: EventTypes.AssignmentUpdated,
        agencyId: cause.agencyId,
        actor: cause.actor,
        traceparent: currentTraceparent(),
        data: toAssignmentUpdatedV1(updated, assignment.status, cause.reason),
      }),
    );
    await this.followUnit(tx, assignment, to, cause);
    if (to === 'on_scene') {
      await this.incidentInProgress(tx, assignment, cause);
    }
    return updated;
  }

  /** The unit's status follows its assignment's step when the unit machine allows it. */
  private async followUnit(
    tx: DispatchTx,
    assignment: AssignmentRow,
    to: AssignmentStatus,
    cause: AssignmentStepCause,
  ): Promise<void> {
    const target =
      to === 'en_route' || to === 'on_scene'
        ? to
        : to === 'cleared' || to === 'declined'
          ? 'available'
          : undefined;
    if (!target) {
      return;
    }
    const unit = await this.units.lockOrThrow(tx, cause.agencyId, assignment.unit_id);
    if (unit.status !== target && canUnitMove(unit.status, target)) {
      await this.units.transition(tx, unit, target, {
        actor: cause.actor,
        agencyId: cause.agencyId,
        incidentId: assignment.incident_id,
        reason: cause.reason,
      });
    }
  }

  /** The first unit on scene puts a dispatched incident in progress. */
  private async incidentInProgress(
    tx: DispatchTx,
    assignment: AssignmentRow,
    cause: AssignmentStepCause,
  ): Promise<void> {
    const incident = await this.incidents.lockOrThrow(tx, cause.agencyId, assignment.incident_id);
    if (incident.status === 'dispatched') {
      await this.incidents.transition(tx, incident, 'in_progress', {
        actor: cause.actor,
        reason: `${assignment.call_sign} on scene`,
      });
    }
  }

  private async nearestCandidates(
    user: AccessClaims,
    incidentId: string,
    request: Extract<CreateAssignmentRequest, { strategy: 'nearest' }>,
  ) {
    const incident = await this.incidents.get(user, incidentId);
    const [lon, lat] = incident.location.coordinates;
    return this.nearest(
      user,
      { lon, lat },
      {
        limit: NEAREST_CANDIDATES,
        capabilities: request.capabilities,
        maxDistanceM: request.maxDistanceM,
      },
    );
  }

  /**
   * The closest available units with a fresh position (`@gad/geo-read`, as geo-service's
   * `geo.nearest` answers them), under the
   * agency's staleness limit, optionally with required capabilities and a radius.
   */
  async nearest(
    user: AccessClaims,
    point: { lon: number; lat: number },
    options: { limit: number; capabilities?: readonly string[]; maxDistanceM?: number },
  ) {
    const { lon, lat } = point;
    const request = options;
    // The agency's staleness limit (settings), shared with GET /v1/units/nearest; without one,
    // NEAREST_MAX_POSITION_AGE_S applies.
    const maxAgeS = await this.agencySettings.nearestMaxAgeS(user.agencyId);
    const query: GeoNearestRequest = {
      agencyId: user.agencyId,
      lon,
      lat,
      limit: request.limit,
      ...(maxAgeS !== undefined ? { maxAgeS } : {}),
      ...(request.capabilities?.length ? { capabilities: [...request.capabilities] } : {}),
      ...(request.maxDistanceM ? { maxDistanceM: request.maxDistanceM } : {}),
    };
    // Read here on the read-only geo pool (docs/adr/0032), from input validated by the route (the
    // incident's stored location, the request's capabilities and radius).
    return this.geoRead.nearest(query);
  }

  private async assignableUnit(tx: DispatchTx, agencyId: string, unitId: string): Promise<UnitRow> {
    const unit = await this.units.lockOrThrow(tx, agencyId, unitId);
    if (!ASSIGNABLE_UNIT_STATUSES.includes(unit.status)) {
      throw UnitException.busy(unitId, unit.status);
    }
    return unit;
  }

  /** geo-service's projection may lag: the dispatch row decides, in distance order. */
  private async firstAssignable(
    tx: DispatchTx,
    agencyId: string,
    candidates: readonly NearestUnit[],
  ): Promise<UnitRow | undefined> {
    for (const candidate of candidates) {
      const unit = await this.units.findLocked(tx, agencyId, candidate.unitId);
      if (unit && ASSIGNABLE_UNIT_STATUSES.includes(unit.status)) {
        return unit;
      }
    }
    return undefined;
  }
}
