import { z } from 'zod';
import { assignmentStatusSchema } from '../assignment-created/v1';

/** `assignment.updated` v1 on `gad:dispatch:events` (producer: api-gateway): a status step. */
export const assignmentUpdatedV1 = z.object({
  assignmentId: z.uuid(),
  incidentId: z.uuid(),
  unitId: z.string().min(1).max(100),
  status: assignmentStatusSchema,
  previousStatus: assignmentStatusSchema,
  /** Why (a decline reason, a dispatcher's note). */
  reason: z.string().max(500).optional(),
  changedAt: z.iso.datetime({ offset: true }),
});
export type AssignmentUpdatedV1 = z.infer<typeof assignmentUpdatedV1>;
