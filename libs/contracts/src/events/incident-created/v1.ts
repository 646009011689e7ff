import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { pointSchema } from '../../geo/geojson.schema';
import { incidentPrioritySchema, incidentStatusSchema } from '../../http/incidents.schema';

export const incidentCreatedV1 = z.object({
  incidentId: text().uuid(),
  type: text(),
  priority: incidentPrioritySchema,
  status: incidentStatusSchema,
  location: pointSchema,
  address: text().optional(),
  description: text().optional(),
  createdAt: timestamp(),
});
export type IncidentCreatedV1 = z.infer<typeof incidentCreatedV1>;
