import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { unitCapabilitySchema, unitStatusSchema } from '../unit-status-changed/v1';

/**
 * `unit.updated` v1 on `gad:dispatch:events` (producer: api-gateway): a unit was created or its
 * attributes changed. Absent fields are unchanged; `capabilities` replaces the whole set.
 */
export const unitUpdatedV1 = z.object({
  unitId: text().min(1).max(100),
  callSign: text().max(100).optional(),
  status: unitStatusSchema.optional(),
  capabilities: z.array(unitCapabilitySchema).max(100).optional(),
  /** True when the unit was deleted or retired: it is never recommended again. */
  removed: z.boolean().optional(),
  updatedAt: timestamp().optional(),
});
export type UnitUpdatedV1 = z.infer<typeof unitUpdatedV1>;
