import { z } from 'zod';
import { pointSchema } from '../geo/geojson.schema';

export const incidentPrioritySchema = z.enum(['P1', 'P2', 'P3', 'P4']);
export const incidentStatusSchema = z.enum([
  'new',
  'dispatched',
  'in_progress',
  'resolved',
  'closed',
  'cancelled',
]);
export type IncidentPriority = z.infer<typeof incidentPrioritySchema>;
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

export const createIncidentRequestSchema = z.strictObject({
  type: z.string().trim().min(1).max(64),
  priority: incidentPrioritySchema,
  location: pointSchema,
  address: z.string().trim().max(500).optional(),
  description: z.string().trim().max(4000).optional(),
});
export type CreateIncidentRequest = z.infer<typeof createIncidentRequestSchema>;

export const incidentSchema = z.object({
  id: z.string().uuid(),
  agencyId: z.string(),
  type: z.string(),
  priority: incidentPrioritySchema,
  status: incidentStatusSchema,
  location: pointSchema,
  address: z.string().nullable(),
  description: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Incident = z.infer<typeof incidentSchema>;
