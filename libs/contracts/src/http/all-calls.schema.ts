import { z } from 'zod';
import { num, text, timestamp } from '../primitives/primitives.schema';
import { incidentPrioritySchema } from './incidents.schema';

/**
 * `POST /v1/all-calls`: a message to every on-duty unit of the caller's agency (units whose last
 * status is anything but `off_duty`), or of those inside one zone. Each unit's devices get it on `/field` as a `command` of kind
 * `message` (`payload.allCallId` names the all-call) and acknowledge it like any command. The
 * priority picks the escalation ladder and makes P1/P2 critical (quiet hours ignored).
 */
export const createAllCallRequestSchema = z.strictObject({
  title: text().trim().min(1).max(200),
  message: text().trim().min(1).max(4000),
  priority: incidentPrioritySchema.default('P3'),
  /** Only the on-duty units inside this zone (geofence) now; without it, the whole agency. */
  zoneId: z.uuid().optional(),
});
export type CreateAllCallRequest = z.infer<typeof createAllCallRequestSchema>;

/** One unit's copy of an all-call and how far its devices acknowledged it. */
export const allCallDeviceSchema = z.object({
  unitId: text(),
  commandId: z.uuid(),
  /** `issued` until a device acknowledges; the furthest stage reached (declined is final). */
  stage: z.enum(['issued', 'delivered', 'seen', 'accepted', 'declined']),
  deliveredAt: timestamp().nullable(),
  seenAt: timestamp().nullable(),
  acceptedAt: timestamp().nullable(),
  declinedAt: timestamp().nullable(),
  declineReason: text().nullable(),
  /** The officer whose device acknowledged last. */
  acknowledgedBy: text().nullable(),
});
export type AllCallDevice = z.infer<typeof allCallDeviceSchema>;

const count = num().int().min(0);

/** `GET /v1/all-calls/{id}`: the all-call and each unit's stages. */
export const allCallSchema = z.object({
  id: z.uuid(),
  title: text(),
  message: text(),
  priority: incidentPrioritySchema,
  /** The zone the all-call went to (`null`: the whole agency). */
  zoneId: z.uuid().nullable(),
  critical: z.boolean(),
  createdBy: text(),
  createdAt: timestamp(),
  /** Units that reached each stage (a unit that accepted was also delivered and has seen it). */
  summary: z.object({
    recipients: count,
    delivered: count,
    seen: count,
    accepted: count,
    declined: count,
  }),
  devices: z.array(allCallDeviceSchema),
  /**
   * Ladder steps that fired (the dispatch ladder's delays for the priority): `undelivered` re-sent
   * the command to units not delivered; `unaccepted` alerted the on-duty supervisors.
   */
  escalations: z.array(
    z.object({ step: z.enum(['undelivered', 'unaccepted']), firedAt: timestamp() }),
  ),
});
export type AllCall = z.infer<typeof allCallSchema>;
