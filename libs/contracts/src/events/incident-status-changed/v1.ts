import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { incidentPrioritySchema, incidentStatusSchema } from '../../http/incidents.schema';

/** `incident.status_changed` v1 on `gad:dispatch:events` (producer: api-gateway). */
export const incidentStatusChangedV1 = z.object({
  incidentId: z.uuid(),
  status: incidentStatusSchema,
  previousStatus: incidentStatusSchema,
  priority: incidentPrioritySchema,
  reason: text().max(500).optional(),
  /** The disposition code an ending incident was closed (or cancelled) with. */
  disposition: text().max(40).optional(),
  changedAt: timestamp(),
});
export type IncidentStatusChangedV1 = z.infer<typeof incidentStatusChangedV1>;
