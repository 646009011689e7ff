import { z } from 'zod';
import { storableText, text, timestamp } from '../primitives/primitives.schema';

/**
 * Agency webhooks (`/v1/agency/webhooks`): an https endpoint receiving commands and notices, each
 * call signed with a secret the server generates and shows once, at creation.
 */
export const createWebhookRequestSchema = z.strictObject({
  /** `https://` only; loopback, private, link-local, CGNAT and metadata targets are refused. */
  url: z.url({ protocol: /^https$/ }).max(2000).check(storableText),
  description: text().trim().max(200).optional(),
});
export type CreateWebhookRequest = z.infer<typeof createWebhookRequestSchema>;

/** A webhook as listed: never its secret. */
export const webhookSchema = z.object({
  id: z.uuid(),
  url: text(),
  description: text().nullable(),
  active: z.boolean(),
  createdAt: timestamp(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** The answer to a creation: the webhook and its signing secret, shown this once. */
export const createdWebhookSchema = webhookSchema.extend({
  /** HMAC-SHA256 key of `x-gad-signature`; stored encrypted, never readable again. */
  secret: text(),
});
export type CreatedWebhook = z.infer<typeof createdWebhookSchema>;

export const webhookListSchema = z.object({ items: z.array(webhookSchema) });
export type WebhookList = z.infer<typeof webhookListSchema>;

/** Stable codes of webhook set-up. */
export const WebhookErrorCode = {
  /** Not https, or a target that resolves to a loopback, private, link-local... address. */
  InvalidTarget: 'invalid_webhook_target',
  NotFound: 'webhook_not_found',
} as const;
