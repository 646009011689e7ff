import { z } from 'zod';
import {
  notificationPreferencesRequestSchema,
  startEmailVerificationRequestSchema,
  verifyEmailRequestSchema,
} from '../http/contacts.schema';
import { text } from '../primitives/primitives.schema';

/** A user's contact channels and preferences, served by notification-service. */
export const NotifyContactRpcPatterns = {
  /** -> `ContactSettings` */
  Get: 'notify.contacts.get',
  /** -> `TelegramLink` */
  TelegramLink: 'notify.contacts.telegram_link',
  /** -> `ContactSettings` (the code is e-mailed) */
  EmailStart: 'notify.contacts.email_start',
  /** -> `ContactSettings` */
  EmailVerify: 'notify.contacts.email_verify',
  /** -> `ContactSettings` */
  Preferences: 'notify.contacts.preferences',
} as const;

const userScope = z.object({
  agencyId: text().min(1).max(100),
  userId: text().min(1).max(100),
});

export const notifyContactsUserRequestSchema = userScope;
export const notifyEmailStartRequestSchema = userScope.extend(
  startEmailVerificationRequestSchema.shape,
);
export const notifyEmailVerifyRequestSchema = userScope.extend(verifyEmailRequestSchema.shape);
export const notifyPreferencesRequestSchema = z.object({
  ...userScope.shape,
  preferences: notificationPreferencesRequestSchema,
});
