import { Injectable } from '@nestjs/common';
import { createLogger } from '@gad/observability';
import type {
  AccessClaims,
  DispatchPlanRequest,
  DispatchPlanResult,
  Incident,
  PlanProposal,
  PlanRequirement,
} from '@gad/contracts';
import { FINAL_ASSIGNMENT_STATUSES } from '../assignments/assignment-status.constants';
import { toAssignment } from '../assignments/assignments.mapper';
import { AssignmentsRepository, type AssignmentRow } from '../assignments/assignments.repository';
import { AssignmentsService } from '../assignments/assignments.service';
import { ASSIGNABLE_INCIDENT_STATUSES } from '../incidents/incident-status.constants';
import { IncidentException } from '../incidents/incidents.exception';
import { IncidentsService } from '../incidents/incidents.service';
import { IncidentTypesService } from '../incident-types/incident-types.service';
import { DispatchTransactions } from '../timeline/dispatch-transactions.service';
import { actorOf } from '../timeline/timeline.mapper';
import { ASSIGNABLE_UNIT_STATUSES } from '../units/unit-status.constants';
import { UnitsRepository, type UnitRow } from '../units/units.repository';
import { UnitsService } from '../units/units.service';
import { DispatchPlanErrorCode, DispatchPlanException } from './dispatch-plans.exception';
import { fillOrder, matchUnits, unitFits, type MatchableUnit } from './plan-matching';

/** Closest available units asked from geo-service per plan line. */
const PLAN_CANDIDATES = 50;

interface Candidate extends MatchableUnit {
  callSign: string;
  distanceM: number;
}

interface Assigned extends MatchableUnit {
  callSign: string;
  assignmentId: string;
}

/**
 * Response plans at work: the incident type's requirements, the units already assigned counted
 * against them, and the nearest eligible available unit per missing slot (geo-service, then the
 * dispatch row decides), no unit counted twice; "dispatch plan" assigns them all in one
 * transaction of the dispatch unit of work and reports what could not be filled.
 */
@Injectable()
export class DispatchPlansService {
  private readonly logger = createLogger('dispatch-plans');

  constructor(
    private readonly assignments: AssignmentsService,
    private readonly assignmentRows: AssignmentsRepository,
    private readonly incidents: IncidentsService,
    private readonly types: IncidentTypesService,
    private readonly units: UnitsService,
    private readonly unitRows: UnitsRepository,
    private readonly transactions: DispatchTransactions,
  ) {}

  /**
   * The proposal for an incident just created, or `null` when its type has no plan or it cannot
   * be made now (geo-service unavailable): the create has committed and answers either way.
   */
  async proposalAfterCreate(user: AccessClaims, incidentId: string): Promise<PlanProposal | null> {
    try {
      return await this.proposal(user, incidentId);
    } catch (error) {
      if ((error as { code?: string }).code !== DispatchPlanErrorCode.NoPlan) {
        this.logger.warn(
          { agencyId: user.agencyId, incidentId, err: (error as Error).message },
          'plan proposal after create failed: answered without it',
        );
      }
      return null;
    }
  }

  async proposal(user: AccessClaims, incidentId: string): Promise<PlanProposal> {
    const incident = await this.incidents.get(user, incidentId);
    const plan = await this.planOf(user.agencyId, incident);
    const open = await this.assignmentRows.listByIncident(user.agencyId, incidentId);
    const used = new Set<string>();
    const assigned = matchUnits(plan, await this.assignedUnits(user.agencyId, open), used);
    const candidates = await this.candidates(user, incident, plan);
    const recommended = plan.map(() => [] as Candidate[]);
    for (const index of fillOrder(plan)) {
      const free = candidates[index].filter((candidate) => !used.has(candidate.unitId));
      [recommended[index]] = matchUnits([plan[index]], free, used, [assigned[index].length]);
    }
    return {
      incidentId,
      incidentType: incident.type,
      lines: plan.map((requirement, index) => ({
        index,
        unitType: requirement.unitType ?? null,
        capabilities: requirement.capabilities ?? [],
        count: requirement.count,
        assigned: assigned[index].map((unit) => ({
          unitId: unit.unitId,
          callSign: unit.callSign,
          assignmentId: unit.assignmentId,
        })),
        recommended: recommended[index].map((unit) => ({
          unitId: unit.unitId,
          callSign: unit.callSign,
          distanceM: unit.distanceM,
        })),
        missing: Math.max(
          0,
          requirement.count - assigned[index].length - recommended[index].length,
        ),
      })),
    };
  }

  async dispatch(
    user: AccessClaims,
    incidentId: string,
    request: DispatchPlanRequest,
  ): Promise<DispatchPlanResult> {
    const incident = await this.incidents.get(user, incidentId);
    const plan = await this.planOf(user.agencyId, incident);
    const candidates = await this.candidates(user, incident, plan, request.maxDistanceM);
    return this.transactions.run(async (tx) => {
      let current = await this.incidents.lockOrThrow(tx, user.agencyId, incidentId);
      if (!ASSIGNABLE_INCIDENT_STATUSES.includes(current.status)) {
        throw IncidentException.notAssignable(incidentId, current.status);
      }
      // Lock order: incident, its open assignments, then units.
      const open = await this.assignmentRows.lockOpenByIncident(
        tx.client,
        user.agencyId,
        incidentId,
      );
      const used = new Set<string>();
      const assigned = matchUnits(plan, await this.assignedUnits(user.agencyId, open), used);
      const made: AssignmentRow[] = [];
      const unfilled: DispatchPlanResult['unfilled'] = [];
      for (const index of fillOrder(plan)) {
        const requirement = plan[index];
        let missing = requirement.count - assigned[index].length;
        for (const candidate of candidates[index]) {
          if (missing <= 0) break;
          if (used.has(candidate.unitId)) continue;
          const unit = await this.units.findLocked(tx, user.agencyId, candidate.unitId);
          if (
            !unit ||
            !ASSIGNABLE_UNIT_STATUSES.includes(unit.status) ||
            !fits(requirement, unit)
          ) {
            continue;
          }
          used.add(unit.id);
          const result = await this.assignments.assignInTx(tx, user, current, unit, {
            recommendation: {
              unitId: unit.id,
              callSign: unit.call_sign,
              distanceM: candidate.distanceM,
            },
            note: request.note,
            strategy: 'plan',
            reason: `response plan of ${incident.type}`,
          });
          current = result.incident;
          made.push(result.assignment);
          missing -= 1;
        }
        if (missing > 0) {
          unfilled.push({
            index,
            unitType: requirement.unitType ?? null,
            capabilities: requirement.capabilities ?? [],
            missing,
          });
        }
      }
      unfilled.sort((a, b) => a.index - b.index);
      tx.note({
        agencyId: user.agencyId,
        incidentId,
        kind: 'plan.dispatched',
        actor: actorOf(user),
        message:
          `${user.sub} dispatched the ${incident.type} plan: ` +
          (made.length > 0 ? made.map((row) => row.call_sign).join(', ') : 'no unit') +
          (unfilled.length > 0
            ? `; unfilled ${unfilled.map((line) => `${line.missing} × ${describe(line)}`).join(', ')}`
            : ''),
        reason: request.note,
        detail: {
          assignmentIds: made.map((row) => row.id),
          unitIds: made.map((row) => row.unit_id),
          unfilled,
        },
      });
      return { incidentId, assignments: made.map(toAssignment), unfilled };
    });
  }

  /** The active type's plan (409 when the type is not in the catalogue or has no plan). */
  private async planOf(agencyId: string, incident: Incident): Promise<PlanRequirement[]> {
    const type = await this.types.findActive(agencyId, incident.type);
    if (!type || type.plan.length === 0) {
      throw DispatchPlanException.noPlan(incident.id, incident.type);
    }
    return type.plan;
  }

  /** The units of an incident's open assignments with their type and capabilities. */
  private async assignedUnits(
    agencyId: string,
    assignments: readonly AssignmentRow[],
  ): Promise<Assigned[]> {
    const units: Assigned[] = [];
    for (const assignment of assignments) {
      if (FINAL_ASSIGNMENT_STATUSES.includes(assignment.status)) continue;
      const unit = await this.unitRows.findById(agencyId, assignment.unit_id);
      if (!unit) continue;
      units.push({
        unitId: unit.id,
        type: unit.type,
        capabilities: unit.capabilities,
        callSign: unit.call_sign,
        assignmentId: assignment.id,
      });
    }
    return units;
  }

  /**
   * Per plan line, the closest available units with a fresh position that hold its capabilities
   * (geo-service), narrowed to its unit type and to units the dispatch rows call assignable.
   */
  private async candidates(
    user: AccessClaims,
    incident: Incident,
    plan: readonly PlanRequirement[],
    maxDistanceM?: number,
  ): Promise<Candidate[][]> {
    const [lon, lat] = incident.location.coordinates;
    const rows = new Map<string, UnitRow | undefined>();
    const result: Candidate[][] = [];
    for (const requirement of plan) {
      const nearest = await this.assignments.nearest(
        user,
        { lon, lat },
        { limit: PLAN_CANDIDATES, capabilities: requirement.capabilities, maxDistanceM },
      );
      const line: Candidate[] = [];
      for (const item of nearest.items) {
        if (!rows.has(item.unitId)) {
          rows.set(item.unitId, await this.unitRows.findById(user.agencyId, item.unitId));
        }
        const unit = rows.get(item.unitId);
        if (!unit || !ASSIGNABLE_UNIT_STATUSES.includes(unit.status) || !fits(requirement, unit)) {
          continue;
        }
        line.push({
          unitId: unit.id,
          type: unit.type,
          capabilities: unit.capabilities,
          callSign: unit.call_sign,
          distanceM: Math.round(item.distanceM),
        });
      }
      result.push(line);
    }
    return result;
  }
}

function fits(requirement: PlanRequirement, unit: UnitRow): boolean {
  return unitFits(requirement, { type: unit.type, capabilities: unit.capabilities });
}

function describe(line: { unitType: string | null; capabilities: readonly string[] }): string {
  const what = line.unitType ?? 'unit';
  return line.capabilities.length > 0 ? `${what} with ${line.capabilities.join(', ')}` : what;
}
