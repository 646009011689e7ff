import { z } from 'zod';
import { pointSchema } from '../../geo/geojson.schema';
import { incidentPrioritySchema } from '../../http/incidents.schema';

/**
 * `incident.updated` v1 on `gad:dispatch:events` (producer: api-gateway): attributes of an incident
 * changed. Only changed fields are present; `null` means cleared.
 */
export const incidentUpdatedV1 = z.object({
  incidentId: z.uuid(),
  version: z.number().int().min(1),
  changes: z.object({
    type: z.string().max(64).optional(),
    priority: incidentPrioritySchema.optional(),
    location: pointSchema.optional(),
    address: z.string().max(500).nullable().optional(),
    description: z.string().max(4000).nullable().optional(),
  }),
  reason: z.string().max(500).optional(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type IncidentUpdatedV1 = z.infer<typeof incidentUpdatedV1>;
