import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { assignmentStatusSchema } from '../assignment-created/v1';

/** `assignment.updated` v1 on `gad:dispatch:events` (producer: api-gateway): a status step. */
export const assignmentUpdatedV1 = z.object({
  assignmentId: z.uuid(),
  incidentId: z.uuid(),
  unitId: text().min(1).max(100),
  status: assignmentStatusSchema,
  previousStatus: assignmentStatusSchema,
  /** Why (a decline reason, a dispatcher's note). */
  reason: text().max(500).optional(),
  changedAt: timestamp(),
});
export type AssignmentUpdatedV1 = z.infer<typeof assignmentUpdatedV1>;
