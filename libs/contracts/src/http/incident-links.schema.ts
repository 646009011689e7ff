import { z } from 'zod';
import { text } from '../primitives/primitives.schema';
import { callSchema } from './calls.schema';
import { incidentPrioritySchema, incidentSchema } from './incidents.schema';

/**
 * `POST /v1/incidents/{id}/merge`: this incident is a duplicate of `primaryIncidentId`. Its calls
 * move to the primary, its open assignments are cleared, it is cancelled with the disposition
 * `duplicate` and remembers its primary; both timelines stay and name each other.
 */
export const mergeIncidentRequestSchema = z.strictObject({
  primaryIncidentId: z.uuid(),
  reason: text().trim().min(1).max(500).optional(),
});
export type MergeIncidentRequest = z.infer<typeof mergeIncidentRequestSchema>;

/**
 * `POST /v1/incidents/{id}/split`: the listed calls of this incident are another event; a new
 * incident is created from the first of them (its point) and the calls move to it.
 */
export const splitIncidentRequestSchema = z.strictObject({
  callIds: z.array(z.uuid()).min(1).max(50),
  type: text().trim().min(1).max(64).optional(),
  priority: incidentPrioritySchema.optional(),
  reason: text().trim().min(1).max(500).optional(),
});
export type SplitIncidentRequest = z.infer<typeof splitIncidentRequestSchema>;

export const splitIncidentResultSchema = z.object({
  incident: incidentSchema,
  calls: z.array(callSchema),
});
export type SplitIncidentResult = z.infer<typeof splitIncidentResultSchema>;

/** `GET /v1/incidents/{id}/links`: the incident's calls and the incidents linked to it. */
export const incidentLinksSchema = z.object({
  incidentId: z.uuid(),
  mergedIntoId: z.uuid().nullable(),
  mergedIds: z.array(z.uuid()),
  splitFromId: z.uuid().nullable(),
  splitIds: z.array(z.uuid()),
  calls: z.array(callSchema),
});
export type IncidentLinks = z.infer<typeof incidentLinksSchema>;
