import { z } from 'zod';
import { text, timestamp, num } from '../primitives/primitives.schema';
import { assignmentStatusSchema } from '../events/assignment-created/v1';
import { unitCapabilitySchema } from '../events/unit-status-changed/v1';

/**
 * `POST /v1/incidents/{id}/assignments`: a named unit, or the closest available unit with a fresh
 * position (geo-service `geo.nearest`), optionally with required capabilities.
 */
export const createAssignmentRequestSchema = z.union([
  z.strictObject({
    unitId: text().trim().min(1).max(100),
    note: text().trim().min(1).max(500).optional(),
  }),
  z.strictObject({
    strategy: z.literal('nearest'),
    capabilities: z.array(unitCapabilitySchema).max(20).optional(),
    maxDistanceM: num().positive().max(500_000).optional(),
    note: text().trim().min(1).max(500).optional(),
  }),
]);
export type CreateAssignmentRequest = z.infer<typeof createAssignmentRequestSchema>;

/** Steps a dispatcher or the unit's officers move an assignment to over REST. */
export const assignmentRouteStatusSchema = z.enum(['en_route', 'on_scene', 'cleared', 'declined']);

export const changeAssignmentStatusRequestSchema = z.strictObject({
  status: assignmentRouteStatusSchema,
  /** Why (required reading for a decline; kept in the timeline). */
  reason: text().trim().min(1).max(500).optional(),
});
export type ChangeAssignmentStatusRequest = z.infer<typeof changeAssignmentStatusRequestSchema>;

export const assignmentRecommendationSchema = z.object({
  unitId: text(),
  callSign: text().optional(),
  distanceM: num(),
});

export const assignmentSchema = z.object({
  id: text(),
  agencyId: text(),
  incidentId: text(),
  unitId: text(),
  callSign: text(),
  status: assignmentStatusSchema,
  /** When each step was reached (absent = not reached). */
  steps: z.partialRecord(assignmentStatusSchema, timestamp()),
  declineReason: text().nullable(),
  recommendation: assignmentRecommendationSchema.nullable(),
  createdBy: text(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type Assignment = z.infer<typeof assignmentSchema>;

export const assignmentListSchema = z.object({ items: z.array(assignmentSchema) });
export type AssignmentList = z.infer<typeof assignmentListSchema>;
