import { z } from 'zod';
import { timestamp } from '../../primitives/primitives.schema';

/** `call.linked` v1 on `gad:dispatch:events` (producer: api-gateway): a call now belongs to an incident. */
export const callLinkedV1 = z.object({
  callId: z.uuid(),
  incidentId: z.uuid(),
  /** The incident it belonged to before (a split or a merge moved it). */
  previousIncidentId: z.uuid().optional(),
  linkedAt: timestamp(),
});
export type CallLinkedV1 = z.infer<typeof callLinkedV1>;
