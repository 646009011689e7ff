import { z } from 'zod';
import { text, num } from '../primitives/primitives.schema';
import { roomIdSchema } from '../realtime/dispatch-namespace';
import { agencyIdSchema } from './agencies.schema';

/** The roles a user of an agency may hold (what `POST /v1/users` and the dev login accept). */
export const roleSchema = z.enum([
  'admin',
  'supervisor',
  'dispatcher',
  'officer',
  'auditor',
  'service',
  /** Takes calls (call intake) and links them to incidents; no dispatch, no closing. */
  'call_taker',
]);
export type Role = z.infer<typeof roleSchema>;
/** Same as {@link roleSchema}: the roles of an agency's users. */
export const agencyRoleSchema = roleSchema;
export type AgencyRole = Role;

/**
 * Every role a token may carry: the agency roles plus `platform-admin`, held only by platform
 * operators (`dispatch.platform_operators`, never a user of an agency), whose tokens reach only
 * `/v1/platform/*` (docs/adr/0018-platform-operators-and-agency-data.md).
 */
export const tokenRoleSchema = z.enum([...roleSchema.options, 'platform-admin']);
export type TokenRole = z.infer<typeof tokenRoleSchema>;

/**
 * Development login (walking skeleton): issues a real signed JWT for a named user of an agency.
 * The ids take the forms every service accepts in a token (agency slug, room-safe user and unit
 * ids), so the login never issues a token the gateways refuse.
 */
export const devLoginRequestSchema = z.strictObject({
  agencyId: agencyIdSchema,
  userId: roomIdSchema,
  roles: z.array(roleSchema).min(1).max(7),
  unitId: roomIdSchema.optional(),
});
export type DevLoginRequest = z.infer<typeof devLoginRequestSchema>;

export const tokenResponseSchema = z.object({
  accessToken: text(),
  tokenType: z.literal('Bearer'),
  expiresIn: num().int(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** Claims of the access JWT (`sub` is the user id). */
export const accessClaimsSchema = z.object({
  sub: text(),
  agencyId: text(),
  roles: z.array(tokenRoleSchema),
  unitId: text().optional(),
  /** Session (refresh-token family) id; absent on development tokens. */
  sid: text().optional(),
  /**
   * Authentication methods the session proved (RFC 8176): `pwd`, plus `otp` after a TOTP or
   * recovery code. Absent on development tokens.
   */
  amr: z.array(text().max(16)).max(4).optional(),
  /**
   * The agency's policy requires MFA for one of the token's roles and the session has not proved
   * it: the token reaches only MFA enrolment, `GET /v1/me` and logout, and no socket namespace.
   */
  mfaPending: z.literal(true).optional(),
});
export type AccessClaims = z.infer<typeof accessClaimsSchema>;

/** `GET /.well-known/jwks.json`: the public keys that verify access tokens (RFC 7517). */
export const jwksSchema = z.object({
  keys: z.array(
    z.looseObject({
      kty: text(),
      kid: text(),
      alg: text().optional(),
      use: text().optional(),
    }),
  ),
});
export type Jwks = z.infer<typeof jwksSchema>;

/**
 * A password as chosen by a user: 12 to 256 characters, compared in full (never trimmed or
 * truncated; argon2id hashes every byte).
 */
export const passwordSchema = text().min(12).max(256);

/**
 * `POST /v1/auth/login`: username or e-mail plus password. Names are unique per agency: `agency`
 * is needed only when the login exists in more than one (422 `login_agency_required` without it).
 */
export const loginRequestSchema = z.strictObject({
  /** Username or e-mail address (case-insensitive). */
  login: text().trim().min(1).max(254),
  password: text().min(1).max(256),
  /** The agency's id: logs in to that agency's account of this name. */
  agency: text().trim().min(1).max(100).optional(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** Access token plus the rotating refresh token of the session. */
export const sessionTokensSchema = tokenResponseSchema.extend({
  /** Opaque; use once with `POST /v1/auth/refresh` (a reused one revokes the whole session). */
  refreshToken: text(),
  /** Seconds until the session needs a new login (re-authentication after 12 h). */
  refreshExpiresIn: num().int(),
  sessionId: text(),
});
export type SessionTokens = z.infer<typeof sessionTokensSchema>;

/**
 * `POST /v1/auth/login` for a user with MFA: the password was right, now prove the second factor
 * with `POST /v1/auth/mfa` (the challenge token, and a TOTP or recovery code) within `expiresIn`.
 */
export const mfaChallengeSchema = z.object({
  mfaRequired: z.literal(true),
  challengeToken: text(),
  expiresIn: num().int(),
  methods: z.array(z.enum(['totp', 'recovery_code'])),
});
export type MfaChallenge = z.infer<typeof mfaChallengeSchema>;

/** The answer of a login: session tokens, or the MFA challenge of a user with a second factor. */
export const loginResponseSchema = z.union([sessionTokensSchema, mfaChallengeSchema]);
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** True when a login answered with an MFA challenge instead of session tokens. */
export function isMfaChallenge(response: LoginResponse): response is MfaChallenge {
  return (response as MfaChallenge).mfaRequired === true;
}

/** `POST /v1/auth/refresh`. */
export const refreshRequestSchema = z.strictObject({
  refreshToken: text().min(1).max(512),
});
export type RefreshRequest = z.infer<typeof refreshRequestSchema>;

/** `POST /v1/me/password`: change one's own password (revokes the other sessions). */
export const changePasswordRequestSchema = z.strictObject({
  currentPassword: text().min(1).max(256),
  newPassword: passwordSchema,
});
export type ChangePasswordRequest = z.infer<typeof changePasswordRequestSchema>;
