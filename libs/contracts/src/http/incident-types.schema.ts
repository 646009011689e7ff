import { z } from 'zod';
import { num, text, timestamp } from '../primitives/primitives.schema';
import { unitCapabilitySchema } from '../events/unit-status-changed/v1';
import { incidentTypeCodeSchema } from './calls.schema';
import { incidentPrioritySchema } from './incidents.schema';

/**
 * One line of a response plan: `count` units of `unitType` (any type when absent) holding every
 * capability listed (e.g. 1 `ambulance` with `als`).
 */
export const planRequirementSchema = z.strictObject({
  unitType: text().trim().min(1).max(64).optional(),
  capabilities: z.array(unitCapabilitySchema).max(10).optional(),
  count: num().int().min(1).max(20),
});
export type PlanRequirement = z.infer<typeof planRequirementSchema>;

export const responsePlanSchema = z.array(planRequirementSchema).max(20);

/** An entry of the agency's incident type catalogue with its response plan. */
export const incidentTypeSchema = z.object({
  code: text(),
  agencyId: text(),
  nameEs: text(),
  nameEn: text(),
  defaultPriority: incidentPrioritySchema,
  plan: responsePlanSchema,
  active: z.boolean(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
  version: num().int().min(1),
});
export type IncidentType = z.infer<typeof incidentTypeSchema>;

export const incidentTypeListSchema = z.object({ items: z.array(incidentTypeSchema) });
export type IncidentTypeList = z.infer<typeof incidentTypeListSchema>;

/** `POST /v1/incident-types` (supervisor, admin). */
export const createIncidentTypeRequestSchema = z.strictObject({
  code: incidentTypeCodeSchema,
  nameEs: text().trim().min(1).max(200),
  nameEn: text().trim().min(1).max(200),
  defaultPriority: incidentPrioritySchema,
  plan: responsePlanSchema,
});
export type CreateIncidentTypeRequest = z.infer<typeof createIncidentTypeRequestSchema>;

/** `PATCH /v1/incident-types/{code}`: the fields to replace; `active: false` retires the type. */
export const updateIncidentTypeRequestSchema = z
  .strictObject({
    nameEs: text().trim().min(1).max(200).optional(),
    nameEn: text().trim().min(1).max(200).optional(),
    defaultPriority: incidentPrioritySchema.optional(),
    plan: responsePlanSchema.optional(),
    active: z.boolean().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'nothing to update' });
export type UpdateIncidentTypeRequest = z.infer<typeof updateIncidentTypeRequestSchema>;

export const incidentTypeParamsSchema = z.strictObject({ code: incidentTypeCodeSchema });
