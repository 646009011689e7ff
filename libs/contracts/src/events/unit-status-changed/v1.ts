import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';

/**
 * Unit status (docs/architecture.md, Status machines). Only `available` units are recommended by
 * `geo.nearest`.
 */
export const unitStatusSchema = z.enum([
  'available',
  'dispatched',
  'en_route',
  'on_scene',
  'returning',
  'out_of_service',
  'off_duty',
]);
export type UnitStatus = z.infer<typeof unitStatusSchema>;

/** A unit capability tag (`als`, `k9`, `4x4`, ...). */
export const unitCapabilitySchema = text().min(1).max(64);

/** `unit.status_changed` v1 on `gad:dispatch:events` (producer: api-gateway). */
export const unitStatusChangedV1 = z.object({
  unitId: text().min(1).max(100),
  callSign: text().max(100).optional(),
  status: unitStatusSchema,
  previousStatus: unitStatusSchema.optional(),
  /** Full capability set when known (replaces the previous set). */
  capabilities: z.array(unitCapabilitySchema).max(100).optional(),
  /** Assignment or incident that caused the change, when any. */
  incidentId: text().max(100).optional(),
  changedAt: timestamp().optional(),
});
export type UnitStatusChangedV1 = z.infer<typeof unitStatusChangedV1>;
