import { z } from 'zod';
import { commandAckStageSchema } from '../events/command-acknowledged/v1';
import { incidentPrioritySchema } from './incidents.schema';

/** Outside channels a notification can travel on besides the in-app socket. */
export const notificationChannelSchema = z.enum(['in_app', 'telegram', 'webhook', 'email']);
export type NotificationChannel = z.infer<typeof notificationChannelSchema>;

/** Outcome of one delivery attempt on one channel. */
export const deliveryAttemptSchema = z.object({
  channel: notificationChannelSchema,
  /** Chat id, e-mail address, webhook URL or `user:<id>` for in-app. */
  target: z.string(),
  attempt: z.number().int().min(1),
  outcome: z.enum(['sent', 'failed', 'retrying', 'suppressed']),
  detail: z.string().optional(),
  at: z.iso.datetime({ offset: true }),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** One step of the escalation ladder that fired. */
export const escalationStepSchema = z.object({
  step: z.enum(['undelivered', 'unaccepted']),
  firedAt: z.iso.datetime({ offset: true }),
});

/**
 * A command to one officer for one assignment, with the acknowledgement stages its device reported
 * (each the first time it was reported) and the deliveries attempted.
 */
export const commandNotificationSchema = z.object({
  commandId: z.uuid(),
  assignmentId: z.uuid(),
  unitId: z.string(),
  userId: z.string(),
  priority: incidentPrioritySchema,
  critical: z.boolean(),
  /** Latest stage reached (`issued` until the device reports). */
  status: z.enum(['issued', ...commandAckStageSchema.options]),
  issuedAt: z.iso.datetime({ offset: true }),
  stages: z.object({
    delivered: z.iso.datetime({ offset: true }).optional(),
    seen: z.iso.datetime({ offset: true }).optional(),
    accepted: z.iso.datetime({ offset: true }).optional(),
    declined: z.iso.datetime({ offset: true }).optional(),
  }),
  declineReason: z.string().optional(),
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
