import { z } from 'zod';

export const roleSchema = z.enum([
  'admin',
  'supervisor',
  'dispatcher',
  'officer',
  'auditor',
  'service',
]);
export type Role = z.infer<typeof roleSchema>;

/** Development login (walking skeleton): issues a real signed JWT for a named user of an agency. */
export const devLoginRequestSchema = z.strictObject({
  agencyId: z.string().trim().min(1).max(100),
  userId: z.string().trim().min(1).max(100),
  roles: z.array(roleSchema).min(1).max(6),
  unitId: z.string().trim().min(1).max(100).optional(),
});
export type DevLoginRequest = z.infer<typeof devLoginRequestSchema>;

export const tokenResponseSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** Claims of the access JWT (`sub` is the user id). */
export const accessClaimsSchema = z.object({
  sub: z.string(),
  agencyId: z.string(),
  roles: z.array(roleSchema),
  unitId: z.string().optional(),
});
export type AccessClaims = z.infer<typeof accessClaimsSchema>;

/** `GET /.well-known/jwks.json`: the public keys that verify access tokens (RFC 7517). */
export const jwksSchema = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      kid: z.string(),
      alg: z.string().optional(),
      use: z.string().optional(),
    }),
  ),
});
export type Jwks = z.infer<typeof jwksSchema>;
