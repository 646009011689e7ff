import { z } from 'zod';
import { num, text, timestamp } from '../primitives/primitives.schema';

/** A TOTP code (6 digits) or a recovery code (`xxxx-xxxx`, dashes and case ignored). */
export const mfaCodeSchema = text()
  .trim()
  .min(6)
  .max(20)
  .regex(/^[0-9]{6}$|^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/, 'a 6-digit code or a recovery code');

/** `POST /v1/auth/mfa`: the second step of a login. */
export const mfaVerifyRequestSchema = z.strictObject({
  challengeToken: text().min(1).max(2048),
  code: mfaCodeSchema,
});
export type MfaVerifyRequest = z.infer<typeof mfaVerifyRequestSchema>;

/**
 * `POST /v1/me/mfa/totp`: a new, unconfirmed TOTP secret (base32) and its `otpauth://` URI for an
 * authenticator app's QR code. It counts only once confirmed with a code.
 */
export const totpEnrolmentSchema = z.object({
  secret: text(),
  otpauthUri: text(),
});
export type TotpEnrolment = z.infer<typeof totpEnrolmentSchema>;

/** `POST /v1/me/mfa/totp/confirm`: a current code from the authenticator. */
export const confirmTotpRequestSchema = z.strictObject({
  code: text()
    .trim()
    .regex(/^[0-9]{6}$/, 'a 6-digit code'),
});
export type ConfirmTotpRequest = z.infer<typeof confirmTotpRequestSchema>;

/**
 * TOTP confirmed: the one-time recovery codes, shown this once (stored as digests only). The
 * session that confirmed now counts as MFA-proved: refresh to get a token that says so.
 */
export const recoveryCodesSchema = z.object({
  recoveryCodes: z.array(text()),
});
export type RecoveryCodes = z.infer<typeof recoveryCodesSchema>;

/** `GET /v1/me/mfa`: whether the caller has a confirmed second factor, and whether policy requires one. */
export const mfaStatusSchema = z.object({
  totp: z.boolean(),
  recoveryCodesLeft: num().int(),
  required: z.boolean(),
});
export type MfaStatus = z.infer<typeof mfaStatusSchema>;

/** One live session of the caller (`GET /v1/me/sessions`). */
export const sessionSummarySchema = z.object({
  id: text(),
  authenticatedAt: timestamp(),
  lastUsedAt: timestamp(),
  expiresAt: timestamp(),
  ip: text().nullable(),
  userAgent: text().nullable(),
  amr: z.array(text()),
  /** The session of the token that asked. */
  current: z.boolean(),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

export const sessionListSchema = z.object({ items: z.array(sessionSummarySchema) });
export type SessionList = z.infer<typeof sessionListSchema>;

export const sessionIdParamsSchema = z.strictObject({ id: z.uuid() });
