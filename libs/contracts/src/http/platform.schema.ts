import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { passwordSchema } from './auth.schema';
import { agencyIdSchema } from './agencies.schema';
import { agencySettingsSchema, updateAgencySettingsRequestSchema } from './agency-settings.schema';
import { usernameSchema, userSchema } from './users.schema';

/**
 * The `agencyId` claim of a platform operator's access token. It is not an agency slug (slugs start
 * with a-z or 0-9), so no agency can be named so and every agency-scoped check refuses it.
 */
export const PLATFORM_AGENCY_ID = '_platform';

/** `active` agencies work; a `suspended` agency's users cannot log in, refresh or keep sockets. */
export const agencyStatusSchema = z.enum(['active', 'suspended']);
export type AgencyStatus = z.infer<typeof agencyStatusSchema>;

/** An agency as the platform operators see it (no agency data beyond its name and settings). */
export const platformAgencySchema = z.object({
  id: text(),
  name: text(),
  status: agencyStatusSchema,
  statusReason: text().nullable(),
  suspendedAt: timestamp().nullable(),
  settings: agencySettingsSchema,
  settingsVersion: num().int().min(1),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type PlatformAgency = z.infer<typeof platformAgencySchema>;

export const platformAgencyListSchema = z.object({
  items: z.array(platformAgencySchema),
  nextCursor: text().nullable(),
});
export type PlatformAgencyList = z.infer<typeof platformAgencyListSchema>;

/** `GET /v1/platform/agencies`: by id; `cursor` is the last id of the previous page. */
export const listPlatformAgenciesQuerySchema = z.strictObject({
  limit: queryNumber(num().int().min(1).max(100).default(50)),
  cursor: text().max(100).optional(),
  status: agencyStatusSchema.optional(),
});
export type ListPlatformAgenciesQuery = z.infer<typeof listPlatformAgenciesQuerySchema>;

export const agencyIdParamsSchema = z.strictObject({ agencyId: agencyIdSchema });

/** `POST /v1/platform/agencies`: a new agency, optionally with settings other than the defaults. */
export const createAgencyRequestSchema = z.strictObject({
  id: agencyIdSchema,
  name: text().trim().min(1).max(200),
  settings: updateAgencySettingsRequestSchema.optional(),
});
export type CreateAgencyRequest = z.infer<typeof createAgencyRequestSchema>;

/** `POST /v1/platform/agencies/{agencyId}/suspend`. */
export const suspendAgencyRequestSchema = z.strictObject({
  reason: text().trim().min(1).max(500),
});
export type SuspendAgencyRequest = z.infer<typeof suspendAgencyRequestSchema>;

/** `POST /v1/platform/agencies/{agencyId}/admins`: an agency's (first or next) administrator. */
export const createAgencyAdminRequestSchema = z.strictObject({
  username: usernameSchema,
  email: z.email().max(254).toLowerCase(),
  displayName: text().trim().min(1).max(200).optional(),
});
export type CreateAgencyAdminRequest = z.infer<typeof createAgencyAdminRequestSchema>;

/**
 * The new administrator and a one-time set-password token (shown once, stored only as a digest):
 * the admin chooses a password with `POST /v1/auth/set-password` before it expires. The account has
 * no usable password until then.
 */
export const createdAgencyAdminSchema = z.object({
  user: userSchema,
  setPasswordToken: text(),
  setPasswordExpiresAt: timestamp(),
});
export type CreatedAgencyAdmin = z.infer<typeof createdAgencyAdminSchema>;

/** `POST /v1/auth/set-password` (public): spends a set-password token. */
export const setPasswordWithTokenRequestSchema = z.strictObject({
  token: text().min(1).max(200),
  password: passwordSchema,
});
export type SetPasswordWithTokenRequest = z.infer<typeof setPasswordWithTokenRequestSchema>;

/** `POST /v1/platform/auth/login`: a platform operator's credentials (access token only). */
export const platformLoginRequestSchema = z.strictObject({
  username: text().trim().min(1).max(64),
  password: text().min(1).max(256),
});
export type PlatformLoginRequest = z.infer<typeof platformLoginRequestSchema>;
