import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { passwordSchema, roleSchema } from './auth.schema';

export const localeSchema = z.enum(['es', 'en']);
export type Locale = z.infer<typeof localeSchema>;

/** `active`; `locked` after 5 failed logins in 15 minutes (until an admin unlocks); `disabled`. */
export const userStatusSchema = z.enum(['active', 'locked', 'disabled']);
export type UserStatus = z.infer<typeof userStatusSchema>;

const rolesSchema = z
  .array(roleSchema)
  .min(1)
  .max(7)
  .refine((roles) => new Set(roles).size === roles.length, { message: 'roles must be unique' });

export const usernameSchema = text()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, '3-64 characters: a-z, 0-9, dot, dash, underscore');

/** A user of the caller's agency (no secret ever leaves the service). */
export const userSchema = z.object({
  id: z.uuid(),
  agencyId: text(),
  username: text(),
  email: text(),
  displayName: text().nullable(),
  locale: localeSchema,
  roles: z.array(roleSchema),
  status: userStatusSchema,
  /** Why the account is disabled (`admin`, `inactive`) or locked (`failed_logins`). */
  statusReason: text().nullable(),
  lastLoginAt: timestamp().nullable(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type User = z.infer<typeof userSchema>;

/** `POST /v1/users` (admin): a new user of the caller's agency with an initial password. */
export const createUserRequestSchema = z.strictObject({
  username: usernameSchema,
  email: z.email().max(254).toLowerCase(),
  displayName: text().trim().min(1).max(200).optional(),
  locale: localeSchema.default('es'),
  roles: rolesSchema,
  password: passwordSchema,
});
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

/** `PATCH /v1/users/{id}` (admin): profile fields. */
export const updateUserRequestSchema = z
  .strictObject({
    email: z.email().max(254).toLowerCase().optional(),
    displayName: text().trim().min(1).max(200).nullable().optional(),
    locale: localeSchema.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'nothing to update' });
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

/** `PUT /v1/users/{id}/roles` (admin): the complete new set of roles. */
export const setUserRolesRequestSchema = z.strictObject({ roles: rolesSchema });
export type SetUserRolesRequest = z.infer<typeof setUserRolesRequestSchema>;

/** `POST /v1/users/{id}/password` (admin): set a new password (revokes the user's sessions). */
export const setUserPasswordRequestSchema = z.strictObject({ password: passwordSchema });
export type SetUserPasswordRequest = z.infer<typeof setUserPasswordRequestSchema>;

/** `GET /v1/users`: by username, newest last; `cursor` is the last username of the previous page. */
export const listUsersQuerySchema = z.strictObject({
  limit: queryNumber(num().int().min(1).max(100).default(50)),
  cursor: text().max(64).optional(),
  status: userStatusSchema.optional(),
});
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;

export const userListSchema = z.object({
  items: z.array(userSchema),
  nextCursor: text().nullable(),
});
export type UserList = z.infer<typeof userListSchema>;
