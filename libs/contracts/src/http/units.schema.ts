import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { unitCapabilitySchema, unitStatusSchema } from '../events/unit-status-changed/v1';

export const unitTypeSchema = text().trim().min(1).max(64);
const callSignSchema = text().trim().min(1).max(100);
/** Officer user ids crewing the unit. */
const crewSchema = z.array(text().trim().min(1).max(100)).max(20);

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
  reason: text().trim().min(1).max(500).optional(),
});
export type ChangeUnitStatusRequest = z.infer<typeof changeUnitStatusRequestSchema>;

export const unitSchema = z.object({
  id: text(),
  agencyId: text(),
  callSign: text(),
  type: text(),
  capabilities: z.array(text()),
  crew: z.array(text()),
  status: unitStatusSchema,
  /** True when the status means the unit can take a new assignment. */
  available: z.boolean(),
  statusChangedAt: timestamp(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
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
  limit: queryNumber(num().int().min(1).max(200).default(50)),
  cursor: text().min(1).max(200).optional(),
});
export type ListUnitsQuery = z.infer<typeof listUnitsQuerySchema>;

export const unitListSchema = z.object({
  items: z.array(unitSchema),
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor: text().optional(),
});
export type UnitList = z.infer<typeof unitListSchema>;

/** Problem extension of `unit_status_transition_invalid` (409). */
export const unitTransitionProblemSchema = z.object({
  currentStatus: unitStatusSchema,
  requestedStatus: unitStatusSchema,
  allowed: z.array(unitStatusSchema),
});
