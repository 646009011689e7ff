import { z } from 'zod';
import { pointSchema } from '../../geo/geojson.schema';
import { incidentPrioritySchema, incidentStatusSchema } from '../../http/incidents.schema';

export const incidentCreatedV1 = z.object({
  incidentId: z.string().uuid(),
  type: z.string(),
  priority: incidentPrioritySchema,
  status: incidentStatusSchema,
  location: pointSchema,
  address: z.string().optional(),
  description: z.string().optional(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type IncidentCreatedV1 = z.infer<typeof incidentCreatedV1>;
