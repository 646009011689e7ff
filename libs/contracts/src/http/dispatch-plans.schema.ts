import { z } from 'zod';
import { num, text } from '../primitives/primitives.schema';
import { assignmentSchema } from './assignments.schema';
import { incidentSchema } from './incidents.schema';

export const planUnitSchema = z.object({
  unitId: text(),
  callSign: text(),
  /** Metres from the incident (recommended units; absent for units already assigned). */
  distanceM: num().optional(),
  /** The open assignment that fills the line already (absent for recommendations). */
  assignmentId: text().optional(),
});

/** One requirement of the incident type's plan and how it is (or would be) filled. */
export const planLineSchema = z.object({
  index: num().int().min(0),
  unitType: text().nullable(),
  capabilities: z.array(text()),
  count: num().int().min(1),
  /** Open assignments of the incident counted against this line. */
  assigned: z.array(planUnitSchema),
  /** The nearest eligible available units proposed for the rest (no unit on two lines). */
  recommended: z.array(planUnitSchema),
  /** Units this line still lacks after the assigned and recommended ones. */
  missing: num().int().min(0),
});
export type PlanLine = z.infer<typeof planLineSchema>;

/** `GET /v1/incidents/{id}/plan`: the type's response plan with a recommendation per line. */
export const planProposalSchema = z.object({
  incidentId: z.uuid(),
  incidentType: text(),
  lines: z.array(planLineSchema),
});
export type PlanProposal = z.infer<typeof planProposalSchema>;

/** Query of `POST /v1/incidents`: `propose=plan` answers the type's plan proposal with the incident. */
export const createIncidentQuerySchema = z.strictObject({
  propose: z.enum(['plan']).optional(),
});
export type CreateIncidentQuery = z.infer<typeof createIncidentQuerySchema>;

/**
 * `POST /v1/incidents` answer: the incident, and with `propose=plan` its type's plan proposal
 * (`GET /v1/incidents/{id}/plan`) — `null` when the type has no response plan or the proposal
 * could not be made now (that route then says why); the incident is created either way.
 */
export const createdIncidentSchema = incidentSchema.extend({
  plan: planProposalSchema.nullable().optional(),
});
export type CreatedIncident = z.infer<typeof createdIncidentSchema>;

/** `POST /v1/incidents/{id}/plan/dispatch`. */
export const dispatchPlanRequestSchema = z.strictObject({
  /** Only units within this distance (metres). */
  maxDistanceM: num().positive().max(500_000).optional(),
  note: text().trim().min(1).max(500).optional(),
});
export type DispatchPlanRequest = z.infer<typeof dispatchPlanRequestSchema>;

export const unfilledLineSchema = z.object({
  index: num().int().min(0),
  unitType: text().nullable(),
  capabilities: z.array(text()),
  missing: num().int().min(1),
});

/** What one dispatch-plan transaction did: the assignments made and what could not be filled. */
export const dispatchPlanResultSchema = z.object({
  incidentId: z.uuid(),
  assignments: z.array(assignmentSchema),
  unfilled: z.array(unfilledLineSchema),
});
export type DispatchPlanResult = z.infer<typeof dispatchPlanResultSchema>;
