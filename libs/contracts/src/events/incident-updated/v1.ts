import { z } from 'zod';
import { text, timestamp, num } from '../../primitives/primitives.schema';
import { pointSchema } from '../../geo/geojson.schema';
import { incidentPrioritySchema } from '../../http/incidents.schema';

/**
 * `incident.updated` v1 on `gad:dispatch:events` (producer: api-gateway): attributes of an incident
 * changed. Only changed fields are present; `null` means cleared.
 */
export const incidentUpdatedV1 = z.object({
  incidentId: z.uuid(),
  version: num().int().min(1),
  changes: z.object({
    type: text().max(64).optional(),
    priority: incidentPrioritySchema.optional(),
    location: pointSchema.optional(),
    address: text().max(500).nullable().optional(),
    description: text().max(4000).nullable().optional(),
  }),
  reason: text().max(500).optional(),
  updatedAt: timestamp(),
});
export type IncidentUpdatedV1 = z.infer<typeof incidentUpdatedV1>;
