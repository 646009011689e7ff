import { z } from 'zod';
import { text, num } from '../../primitives/primitives.schema';

/**
 * `assignment.unacknowledged` v1 on `gad:notify:events` (producer: notification-service, on its own
 * stream, docs/adr/0028; consumer: ws-gateway, to the agency's consoles): a command was not accepted
 * in time, or nobody of the unit could be paged (`waitedMs` 0), so the dispatcher can reassign.
 */
export const assignmentUnacknowledgedV1 = z.object({
  assignmentId: z.uuid(),
  incidentId: z.uuid(),
  unitId: text().min(1).max(100),
  commandId: z.uuid(),
  /** Last stage the device reached, if any. */
  lastStage: z.enum(['delivered', 'seen']).optional(),
  waitedMs: num().int().min(0),
});
export type AssignmentUnacknowledgedV1 = z.infer<typeof assignmentUnacknowledgedV1>;
