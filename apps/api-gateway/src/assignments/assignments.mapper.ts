import {
  assignmentStatusSchema,
  type Assignment,
  type AssignmentCreatedV1,
  type AssignmentStatus,
  type AssignmentUpdatedV1,
  type HazardNotice,
} from '@gad/contracts';
import type { IncidentRow } from '../incidents/incidents.repository';
import type { AssignmentRow } from './assignments.repository';

export function toAssignment(row: AssignmentRow): Assignment {
  return {
    id: row.id,
    agencyId: row.agency_id,
    incidentId: row.incident_id,
    unitId: row.unit_id,
    callSign: row.call_sign,
    status: row.status,
    // In the machine's order (jsonb does not keep key order).
    steps: Object.fromEntries(
      assignmentStatusSchema.options
        .filter((step) => row.steps[step] !== undefined)
        .map((step) => [step, new Date(row.steps[step] as string).toISOString()]),
    ),
    declineReason: row.decline_reason,
    recommendation: row.recommendation,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** `hazards`: the premise and hazard information at the incident's location (sent with the command). */
export function toAssignmentCreatedV1(
  row: AssignmentRow,
  incident: IncidentRow,
  hazards: readonly HazardNotice[] = [],
): AssignmentCreatedV1 {
  return {
    assignmentId: row.id,
    incidentId: row.incident_id,
    unitId: row.unit_id,
    callSign: row.call_sign,
    status: row.status,
    priority: incident.priority,
    incidentType: incident.type,
    location: { type: 'Point', coordinates: [Number(incident.lon), Number(incident.lat)] },
    ...(incident.address ? { address: incident.address } : {}),
    crew: row.crew,
    ...(row.recommendation
      ? {
          recommendation: {
            unitId: row.recommendation.unitId,
            distanceM: row.recommendation.distanceM,
          },
        }
      : {}),
    ...(hazards.length > 0 ? { hazards: [...hazards] } : {}),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toAssignmentUpdatedV1(
  row: AssignmentRow,
  previousStatus: AssignmentStatus,
  reason: string | undefined,
): AssignmentUpdatedV1 {
  return {
    assignmentId: row.id,
    incidentId: row.incident_id,
    unitId: row.unit_id,
    status: row.status,
    previousStatus,
    ...(reason ? { reason } : {}),
    changedAt: new Date(row.updated_at).toISOString(),
  };
}
