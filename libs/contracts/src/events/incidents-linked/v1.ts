import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';

/**
 * `incidents.linked` v1 on `gad:dispatch:events` (producer: api-gateway): a duplicate merged into
 * its primary (`merge`), or a new incident split off another (`split`, `incidentId` the new one).
 */
export const incidentsLinkedV1 = z.object({
  kind: z.enum(['merge', 'split']),
  incidentId: z.uuid(),
  otherIncidentId: z.uuid(),
  callIds: z.array(z.uuid()),
  reason: text().max(500).optional(),
  linkedAt: timestamp(),
});
export type IncidentsLinkedV1 = z.infer<typeof incidentsLinkedV1>;
