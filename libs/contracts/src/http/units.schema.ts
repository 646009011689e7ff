import { z } from 'zod';
import { unitCapabilitySchema, unitStatusSchema } from '../events/unit-status-changed/v1';

export const unitTypeSchema = z.string().trim().min(1).max(64);
const callSignSchema = z.string().trim().min(1).max(100);
/** Officer user ids crewing the unit. */
const crewSchema = z.array(z.string().trim().min(1).max(100)).max(20);

export const createUnitRequestSchema = z.strictObject({
  callSign: callSignSchema,
  type: unitTypeSchema,
  capabilities: z.array(unitCapabilitySchema).max(100).default([]),
  crew: crewSchema.default([]),
});
export type CreateUnitRequest = z.infer<typeof createUnitRequestSchema>;

/** Partial update; `capabilities` and `crew` replace the whole set. */
export const updateUnitRequestSchema = z
  .strictObject({
    callSign: callSignSchema.optional(),
    type: unitTypeSchema.optional(),
    capabilities: z.array(unitCapabilitySchema).max(100).optional(),
    crew: crewSchema.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'nothing to update' });
export type UpdateUnitRequest = z.infer<typeof updateUnitRequestSchema>;

export const changeUnitStatusRequestSchema = z.strictObject({
  status: unitStatusSchema,
  reason: z.string().trim().min(1).max(500).optional(),
});
export type ChangeUnitStatusRequest = z.infer<typeof changeUnitStatusRequestSchema>;

export const unitSchema = z.object({
  id: z.string(),
  agencyId: z.string(),
  callSign: z.string(),
  type: z.string(),
  capabilities: z.array(z.string()),
  crew: z.array(z.string()),
  status: unitStatusSchema,
  /** True when the status means the unit can take a new assignment. */
  available: z.boolean(),
  statusChangedAt: z.iso.datetime({ offset: true }),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Unit = z.infer<typeof unitSchema>;

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part.length > 0)
        : value,
    z.array(item).min(1).max(20),
  );

export const listUnitsQuerySchema = z.strictObject({
  /** `available,returning` in a query string. */
  status: csv(unitStatusSchema).optional(),
  type: unitTypeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(200).optional(),
});
export type ListUnitsQuery = z.infer<typeof listUnitsQuerySchema>;

export const unitListSchema = z.object({
  items: z.array(unitSchema),
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor: z.string().optional(),
});
export type UnitList = z.infer<typeof unitListSchema>;

/** Problem extension of `unit_status_transition_invalid` (409). */
export const unitTransitionProblemSchema = z.object({
  currentStatus: unitStatusSchema,
  requestedStatus: unitStatusSchema,
  allowed: z.array(unitStatusSchema),
});
