import { z } from 'zod';
import { text } from '../primitives/primitives.schema';
import { createAllCallRequestSchema } from '../http/all-calls.schema';

/** All-call RPCs of notification-service (on `gad:rpc:notification-service`). */
export const NotifyAllCallPatterns = {
  /** -> `AllCall`: issues one command per on-duty unit of the agency. */
  Create: 'notify.all_calls.create',
  /** -> `AllCall`: the all-call and each unit's acknowledgement stages. */
  Get: 'notify.all_calls.get',
} as const;

const agencyIdSchema = text().min(1).max(100);

/** `notify.all_calls.create` (idempotent by `allCallId`: a retry answers the same all-call). */
export const notifyAllCallCreateRequestSchema = createAllCallRequestSchema.extend({
  agencyId: agencyIdSchema,
  allCallId: z.uuid(),
  createdBy: text().min(1).max(200),
  /** With `zoneId`: the units inside the zone (from geo-service); only those on duty are called. */
  unitIds: z.array(text().min(1).max(100)).max(10_000).optional(),
});
export type NotifyAllCallCreateRequest = z.infer<typeof notifyAllCallCreateRequestSchema>;

/** `notify.all_calls.get`: an all-call of the caller's agency (`all_call_not_found` otherwise). */
export const notifyAllCallGetRequestSchema = z.object({
  agencyId: agencyIdSchema,
  allCallId: z.uuid(),
});
export type NotifyAllCallGetRequest = z.infer<typeof notifyAllCallGetRequestSchema>;
