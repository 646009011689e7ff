import { z } from 'zod';
import { incidentPrioritySchema, incidentStatusSchema } from '../../http/incidents.schema';

/** `incident.status_changed` v1 on `gad:dispatch:events` (producer: api-gateway). */
export const incidentStatusChangedV1 = z.object({
  incidentId: z.uuid(),
  status: incidentStatusSchema,
  previousStatus: incidentStatusSchema,
  priority: incidentPrioritySchema,
  reason: z.string().max(500).optional(),
  changedAt: z.iso.datetime({ offset: true }),
});
export type IncidentStatusChangedV1 = z.infer<typeof incidentStatusChangedV1>;
