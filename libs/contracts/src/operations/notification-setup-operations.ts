import { z } from 'zod';
import {
  contactSettingsSchema,
  notificationPreferencesRequestSchema,
  startEmailVerificationRequestSchema,
  telegramLinkSchema,
  verifyEmailRequestSchema,
} from '../http/contacts.schema';
import {
  createWebhookRequestSchema,
  createdWebhookSchema,
  webhookListSchema,
} from '../http/webhooks.schema';
import { defineOperation } from './define-operation';

const webhookIdParamsSchema = z.strictObject({ id: z.uuid() });
const userIdParamsSchema = z.strictObject({ id: z.uuid() });

/** Every agency user manages their own contact channels. */
const AGENCY_USERS = ['admin', 'supervisor', 'dispatcher', 'officer', 'auditor'] as const;

/**
 * Notification set-up (issue #18): a user's contact channels and preferences (their own under
 * `/v1/me`, any user's for an admin under `/v1/users/{id}`) and the agency's webhooks (admin only).
 * Spread into `operations`.
 * Routes reach notification-service over its RPCs.
 */
export const notificationSetupOperations = {
  getMyContacts: defineOperation({
    operationId: 'getMyContacts',
    method: 'GET',
    path: '/v1/me/contacts',
    summary: 'My contact channels (Telegram linked, verified e-mail), preferences and quiet hours',
    tag: 'contacts',
    roles: AGENCY_USERS,
    success: { status: 200, schema: contactSettingsSchema, description: 'Contact settings' },
    errors: [502, 504],
  }),
  createMyTelegramLink: defineOperation({
    operationId: 'createMyTelegramLink',
    method: 'POST',
    path: '/v1/me/contacts/telegram-link',
    summary: 'A one-time code and deep link: press Start in the bot to link the chat',
    tag: 'contacts',
    roles: AGENCY_USERS,
    success: { status: 201, schema: telegramLinkSchema, description: 'Link code (15 minutes)' },
    errors: [502, 504],
  }),
  startMyEmailVerification: defineOperation({
    operationId: 'startMyEmailVerification',
    method: 'PUT',
    path: '/v1/me/contacts/email',
    summary: 'E-mail a 6-digit code to an address; it is paged once the code is verified',
    tag: 'contacts',
    roles: AGENCY_USERS,
    body: startEmailVerificationRequestSchema,
    success: { status: 200, schema: contactSettingsSchema, description: 'Address pending' },
    errors: [422, 502, 504],
  }),
  verifyMyEmail: defineOperation({
    operationId: 'verifyMyEmail',
    method: 'POST',
    path: '/v1/me/contacts/email/verify',
    summary: 'Verify the pending address with the code it received (5 attempts)',
    tag: 'contacts',
    roles: AGENCY_USERS,
    body: verifyEmailRequestSchema,
    success: { status: 200, schema: contactSettingsSchema, description: 'Address verified' },
    errors: [404, 422, 502, 504],
  }),
  setMyNotificationPreferences: defineOperation({
    operationId: 'setMyNotificationPreferences',
    method: 'PUT',
    path: '/v1/me/notification-preferences',
    summary: 'Channels for non-critical messages and quiet hours (critical commands ignore both)',
    tag: 'contacts',
    roles: AGENCY_USERS,
    body: notificationPreferencesRequestSchema,
    success: { status: 200, schema: contactSettingsSchema, description: 'Contact settings' },
    errors: [422, 502, 504],
  }),
  getUserContacts: defineOperation({
    operationId: 'getUserContacts',
    method: 'GET',
    path: '/v1/users/{id}/contacts',
    summary: 'A user’s contact channels, preferences and quiet hours',
    tag: 'contacts',
    roles: ['admin'],
    params: userIdParamsSchema,
    success: { status: 200, schema: contactSettingsSchema, description: 'Contact settings' },
    errors: [404, 422, 502, 504],
  }),
  createUserTelegramLink: defineOperation({
    operationId: 'createUserTelegramLink',
    method: 'POST',
    path: '/v1/users/{id}/contacts/telegram-link',
    summary: 'A one-time Telegram link code for a user (to hand over or show as a QR code)',
    tag: 'contacts',
    roles: ['admin'],
    params: userIdParamsSchema,
    success: { status: 201, schema: telegramLinkSchema, description: 'Link code (15 minutes)' },
    errors: [404, 422, 502, 504],
  }),
  startUserEmailVerification: defineOperation({
    operationId: 'startUserEmailVerification',
    method: 'PUT',
    path: '/v1/users/{id}/contacts/email',
    summary: 'E-mail a code to a user’s address; the user verifies it under /v1/me',
    tag: 'contacts',
    roles: ['admin'],
    params: userIdParamsSchema,
    body: startEmailVerificationRequestSchema,
    success: { status: 200, schema: contactSettingsSchema, description: 'Address pending' },
    errors: [404, 422, 502, 504],
  }),
  setUserNotificationPreferences: defineOperation({
    operationId: 'setUserNotificationPreferences',
    method: 'PUT',
    path: '/v1/users/{id}/notification-preferences',
    summary: 'A user’s channels for non-critical messages and quiet hours',
    tag: 'contacts',
    roles: ['admin'],
    params: userIdParamsSchema,
    body: notificationPreferencesRequestSchema,
    success: { status: 200, schema: contactSettingsSchema, description: 'Contact settings' },
    errors: [404, 422, 502, 504],
  }),
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
