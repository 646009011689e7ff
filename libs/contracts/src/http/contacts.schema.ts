import { z } from 'zod';
import { text, timestamp } from '../primitives/primitives.schema';
import { notificationChannelSchema } from './notifications.schema';

const hhmm = text().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

/** A local time window (`start` after `end` spans midnight) in an IANA time zone. */
export const quietHoursSchema = z.strictObject({
  start: hhmm,
  end: hhmm,
  timeZone: text().min(1).max(64),
});

/**
 * Where and how a user is paged outside the app: a linked Telegram chat, a verified e-mail address
 * (an address waiting for its code is never paged), the channels they want non-critical messages on
 * and their quiet hours (critical commands ignore both).
 */
export const contactSettingsSchema = z.object({
  userId: text(),
  telegram: z.object({ linked: z.boolean() }),
  email: z.object({
    /** The verified address, the only one paged. */
    address: text().nullable(),
    /** An address waiting for its verification code. */
    pending: text().nullable(),
  }),
  channels: z.array(notificationChannelSchema),
  quietHours: quietHoursSchema.nullable(),
});
export type ContactSettings = z.infer<typeof contactSettingsSchema>;

/** A one-time code linking a Telegram chat: the user opens `deepLink` and presses Start. */
export const telegramLinkSchema = z.object({
  code: text(),
  /** `https://t.me/<bot>?start=<code>` (null when the bot's name is not configured). */
  deepLink: text().nullable(),
  expiresAt: timestamp(),
});
export type TelegramLink = z.infer<typeof telegramLinkSchema>;

/** `PUT .../contacts/email`: the address to verify (a code is e-mailed to it). */
export const startEmailVerificationRequestSchema = z.strictObject({
  email: z.email().max(254).toLowerCase(),
});
export type StartEmailVerificationRequest = z.infer<typeof startEmailVerificationRequestSchema>;

/** `POST /v1/me/contacts/email/verify`: the code from the e-mail. */
export const verifyEmailRequestSchema = z.strictObject({
  code: text().regex(/^\d{6}$/, 'the 6-digit code from the e-mail'),
});
export type VerifyEmailRequest = z.infer<typeof verifyEmailRequestSchema>;

/** `PUT .../notification-preferences`: channels for non-critical messages and quiet hours. */
export const notificationPreferencesRequestSchema = z
  .strictObject({
    channels: z
      .array(notificationChannelSchema)
      .max(4)
      .refine((c) => c.includes('in_app'), { message: 'in_app cannot be turned off' })
      .optional(),
    quietHours: quietHoursSchema.nullable().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'nothing to update' });
export type NotificationPreferencesRequest = z.infer<typeof notificationPreferencesRequestSchema>;

export const ContactErrorCode = {
  InvalidCode: 'invalid_verification_code',
  NoPendingEmail: 'email_verification_not_found',
} as const;
