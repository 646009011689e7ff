import { z } from 'zod';
import { text, timestamp, num } from '../primitives/primitives.schema';
import { commandAckStageSchema } from '../events/command-acknowledged/v1';
import { incidentPrioritySchema } from './incidents.schema';

/** Outside channels a notification can travel on besides the in-app socket. */
export const notificationChannelSchema = z.enum(['in_app', 'telegram', 'webhook', 'email']);
export type NotificationChannel = z.infer<typeof notificationChannelSchema>;

/** Outcome of one delivery attempt on one channel. */
export const deliveryAttemptSchema = z.object({
  channel: notificationChannelSchema,
  /** Chat id, e-mail address, webhook URL or `user:<id>` for in-app. */
  target: text(),
  attempt: num().int().min(1),
  outcome: z.enum(['sent', 'failed', 'retrying', 'suppressed']),
  detail: text().optional(),
  at: timestamp(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** One step of the escalation ladder that fired. */
export const escalationStepSchema = z.object({
  step: z.enum(['undelivered', 'unaccepted']),
  firedAt: timestamp(),
});

/**
 * A command to one officer for one assignment, with the acknowledgement stages its device reported
 * (each the first time it was reported) and the deliveries attempted.
 */
export const commandNotificationSchema = z.object({
  commandId: z.uuid(),
  assignmentId: z.uuid(),
  unitId: text(),
  userId: text(),
  priority: incidentPrioritySchema,
  critical: z.boolean(),
  /** Latest stage reached (`issued` until the device reports). */
  status: z.enum(['issued', ...commandAckStageSchema.options]),
  issuedAt: timestamp(),
  stages: z.object({
    delivered: timestamp().optional(),
    seen: timestamp().optional(),
    accepted: timestamp().optional(),
    declined: timestamp().optional(),
  }),
  declineReason: text().optional(),
  escalations: z.array(escalationStepSchema),
  deliveries: z.array(deliveryAttemptSchema),
});
export type CommandNotification = z.infer<typeof commandNotificationSchema>;

/** `GET /v1/incidents/:id/notifications`: the incident's commands, oldest first. */
export const incidentNotificationsResponseSchema = z.object({
  incidentId: z.uuid(),
  items: z.array(commandNotificationSchema),
});
export type IncidentNotificationsResponse = z.infer<typeof incidentNotificationsResponseSchema>;
