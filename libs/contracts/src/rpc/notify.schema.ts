import { z } from 'zod';
import { storableText, text } from '../primitives/primitives.schema';
import { notificationChannelSchema } from '../http/notifications.schema';

/** RPCs served by notification-service on `gad:rpc:notification-service`. */
export const NOTIFY_RPC_SERVICE = 'notification-service';

export const NotifyRpcPatterns = {
  /** -> `IncidentNotificationsResponse` */
  IncidentNotifications: 'notify.incident_notifications',
  /** -> `{ userId }`: a user's profile and preferences as notification-service sees them. */
  RecipientUpsert: 'notify.recipients.upsert',
  /** -> `{ webhookId }`: an agency's webhook subscription. */
  WebhookUpsert: 'notify.webhooks.upsert',
} as const;

export const NotifyErrorCode = {
  ValidationFailed: 'validation_failed',
} as const;

const agencyIdSchema = text().min(1).max(100);

/** `notify.incident_notifications`: the commands of one incident of the caller's agency. */
export const notifyIncidentNotificationsRequestSchema = z.object({
  agencyId: agencyIdSchema,
  incidentId: z.uuid(),
});
export type NotifyIncidentNotificationsRequest = z.infer<
  typeof notifyIncidentNotificationsRequestSchema
>;

const hhmm = text().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

/**
 * `notify.recipients.upsert`: who a user is for notifications (roles, locale, duty), where outside
 * channels reach them (linked Telegram chat, e-mail) and their preferences. Absent fields keep their
 * stored value. Critical commands ignore `channels` and `quietHours`.
 */
export const notifyRecipientUpsertRequestSchema = z.object({
  agencyId: agencyIdSchema,
  userId: text().min(1).max(100),
  roles: z.array(text().min(1).max(50)).max(10).optional(),
  locale: z.enum(['es', 'en']).optional(),
  onDuty: z.boolean().optional(),
  unitId: text().min(1).max(100).nullable().optional(),
  telegramChatId: text().min(1).max(100).nullable().optional(),
  email: z.email().nullable().optional(),
  /** Channels the user wants non-critical notices and commands on. */
  channels: z.array(notificationChannelSchema).max(4).optional(),
  /** Local time window (`start` may be after `end`: the window spans midnight). */
  quietHours: z
    .object({ start: hhmm, end: hhmm, timeZone: text().min(1).max(64) })
    .nullable()
    .optional(),
});
export type NotifyRecipientUpsertRequest = z.infer<typeof notifyRecipientUpsertRequestSchema>;

/** `notify.webhooks.upsert`: an agency endpoint receiving commands and notices, signed with `secret`. */
export const notifyWebhookUpsertRequestSchema = z.object({
  agencyId: agencyIdSchema,
  webhookId: z.uuid().optional(),
  url: z.url({ protocol: /^https?$/ }).check(storableText),
  secret: text().min(16).max(200),
  active: z.boolean().default(true),
});
export type NotifyWebhookUpsertRequest = z.infer<typeof notifyWebhookUpsertRequestSchema>;

/** Headers of a webhook delivery: `t=<unix seconds>` and HMAC-SHA256 of `<t>.<body>` in hex. */
export const WebhookHeaders = {
  Timestamp: 'x-gad-timestamp',
  Signature: 'x-gad-signature',
  EventId: 'x-gad-event-id',
} as const;
