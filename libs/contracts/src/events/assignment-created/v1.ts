import { z } from 'zod';
import { text, timestamp, num } from '../../primitives/primitives.schema';
import { pointSchema } from '../../geo/geojson.schema';
import { incidentPrioritySchema } from '../../http/incidents.schema';
import { hazardNoticesSchema } from '../../http/hazards.schema';

/** Assignment status (docs/architecture.md, Status machines), each step with its own timestamp. */
export const assignmentStatusSchema = z.enum([
  'proposed',
  'notified',
  'delivered',
  'seen',
  'accepted',
  'declined',
  'en_route',
  'on_scene',
  'cleared',
]);
export type AssignmentStatus = z.infer<typeof assignmentStatusSchema>;

/**
 * `assignment.created` v1 on `gad:dispatch:events` (producer: api-gateway, through its outbox): a
 * unit was dispatched to an incident. notification-service turns it into a command to the unit's
 * on-duty crew (critical for P1/P2).
 */
export const assignmentCreatedV1 = z.object({
  assignmentId: z.uuid(),
  incidentId: z.uuid(),
  unitId: text().min(1).max(100),
  callSign: text().max(100).optional(),
  status: assignmentStatusSchema,
  priority: incidentPrioritySchema,
  incidentType: text().max(64),
  location: pointSchema,
  address: text().max(500).optional(),
  /** User ids of the unit's crew at dispatch time (officers). */
  crew: z.array(text().min(1).max(100)).max(20),
  /** The recommendation shown to the dispatcher, when the nearest strategy was used. */
  recommendation: z.object({ unitId: text(), distanceM: num() }).optional(),
  /**
   * Premise and hazard information that applies at the incident's location (most severe first);
   * notification-service puts it in the command payload as `hazards` for the unit's devices.
   */
  hazards: hazardNoticesSchema.optional(),
  createdAt: timestamp(),
});
export type AssignmentCreatedV1 = z.infer<typeof assignmentCreatedV1>;
