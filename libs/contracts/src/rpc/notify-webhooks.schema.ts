import { z } from 'zod';
import { createWebhookRequestSchema } from '../http/webhooks.schema';
import { text } from '../primitives/primitives.schema';

/** Agency webhook RPCs served by notification-service on `gad:rpc:notification-service`. */
export const NotifyWebhookRpcPatterns = {
  /** -> `CreatedWebhook` (the secret, this once) */
  Create: 'notify.webhooks.create',
  /** -> `WebhookList` */
  List: 'notify.webhooks.list',
  /** -> `{ deleted: true }` */
  Delete: 'notify.webhooks.delete',
} as const;

const agencyIdSchema = text().min(1).max(100);

export const notifyWebhookCreateRequestSchema = createWebhookRequestSchema.extend({
  agencyId: agencyIdSchema,
});
export type NotifyWebhookCreateRequest = z.infer<typeof notifyWebhookCreateRequestSchema>;

export const notifyWebhookListRequestSchema = z.object({ agencyId: agencyIdSchema });
export type NotifyWebhookListRequest = z.infer<typeof notifyWebhookListRequestSchema>;

export const notifyWebhookDeleteRequestSchema = z.object({
  agencyId: agencyIdSchema,
  webhookId: z.uuid(),
});
export type NotifyWebhookDeleteRequest = z.infer<typeof notifyWebhookDeleteRequestSchema>;

/** Reply of `notify.webhooks.delete`. */
export const notifyWebhookDeleteReplySchema = z.object({ deleted: z.literal(true) });
