import { z } from 'zod';
import {
  createWebhookRequestSchema,
  createdWebhookSchema,
  webhookListSchema,
} from '../http/webhooks.schema';
import { defineOperation } from './define-operation';

const webhookIdParamsSchema = z.strictObject({ id: z.uuid() });

/**
 * Notification set-up (issue #18): the agency's webhooks (admin only). Spread into `operations`.
 * Routes reach notification-service over its RPCs.
 */
export const notificationSetupOperations = {
  createAgencyWebhook: defineOperation({
    operationId: 'createAgencyWebhook',
    method: 'POST',
    path: '/v1/agency/webhooks',
    summary:
      'Add an https webhook of the agency; the answer holds its signing secret, shown this once',
    tag: 'webhooks',
    roles: ['admin'],
    body: createWebhookRequestSchema,
    success: {
      status: 201,
      schema: createdWebhookSchema,
      description: 'The webhook and its secret (stored encrypted, never shown again)',
    },
    errors: [422, 502, 504],
  }),
  listAgencyWebhooks: defineOperation({
    operationId: 'listAgencyWebhooks',
    method: 'GET',
    path: '/v1/agency/webhooks',
    summary: 'The agency’s webhooks (without secrets)',
    tag: 'webhooks',
    roles: ['admin'],
    success: { status: 200, schema: webhookListSchema, description: 'Webhooks' },
    errors: [502, 504],
  }),
  deleteAgencyWebhook: defineOperation({
    operationId: 'deleteAgencyWebhook',
    method: 'DELETE',
    path: '/v1/agency/webhooks/{id}',
    summary: 'Remove a webhook of the agency (pending deliveries to it fail)',
    tag: 'webhooks',
    roles: ['admin'],
    params: webhookIdParamsSchema,
    success: { status: 204, schema: undefined, description: 'Deleted' },
    errors: [404, 422, 502, 504],
  }),
} as const;
