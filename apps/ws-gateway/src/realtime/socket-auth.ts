import {
  agencyIdSchema,
  fieldHandshakeAuthSchema,
  roomIdSchema,
  type AccessClaims,
  type SocketError,
  type TokenRole,
} from '@gad/contracts';
import type { JwtVerifier } from '@gad/platform';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { SocketLease } from './socket-quota.repository';
import type { TokenBucket } from './token-bucket';
import { WsException } from './ws.exception';

/** What a verified handshake leaves on `socket.data`, plus the socket's own limits. */
export interface SocketIdentity {
  /** Verified claims (`sid`: the session, when the api-gateway's tokens carry one). */
  user: AccessClaims & { sid?: string };
  /** Token expiry (epoch ms): the socket is disconnected then. */
  expiresAt: number;
  /** `/field`: last command seqs the device handled (handshake `auth`). */
  lastSeq?: number;
  lastUserSeq?: number;
  /** The socket's entry in its user's socket set (the per-user limit). */
  lease?: SocketLease;
  bucket?: TokenBucket;
  expiryTimer?: NodeJS.Timeout;
  /** Set when a session revocation disconnects the socket: the reason, for the audit trail. */
  revokedFor?: string;
}

export type AuthedSocket = Socket<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  SocketIdentity
>;

/** Who may open a socket on a namespace. */
export interface NamespacePolicy {
  name: string;
  roles: readonly TokenRole[];
  requireUnit: boolean;
}

export const dispatchPolicy: NamespacePolicy = {
  name: 'dispatch',
  roles: ['admin', 'supervisor', 'dispatcher'],
  requireUnit: false,
};

export const fieldPolicy: NamespacePolicy = {
  name: 'field',
  roles: ['officer'],
  requireUnit: true,
};

type Issues = NonNullable<SocketError['issues']>;

/** A handshake `auth` that fails its schema: a token problem is `unauthenticated`, others invalid. */
function refusalOf(error: z.ZodError): WsException {
  if (error.issues.some((issue) => issue.path.length === 0 || issue.path[0] === 'token')) {
    return WsException.unauthenticated('token missing');
  }
  return WsException.invalidHandshake(
    error.issues.slice(0, 20).map((issue) => ({
      path: `/${issue.path.map(String).join('/')}`,
      message: issue.message,
    })),
  );
}

/** The id claims that name rooms and keys: refused unless they are ids (no `:`, `{`, ...). */
function claimIssues(claims: AccessClaims): Issues {
  const issues: Issues = [];
  if (!agencyIdSchema.safeParse(claims.agencyId).success) {
    issues.push({ path: '/token/agencyId', message: 'not an agency id (lowercase slug)' });
  }
  if (!roomIdSchema.safeParse(claims.sub).success) {
    issues.push({ path: '/token/sub', message: 'not a user id' });
  }
  if (claims.unitId !== undefined && !roomIdSchema.safeParse(claims.unitId).success) {
    issues.push({ path: '/token/unitId', message: 'not a unit id' });
  }
  return issues;
}

/**
 * Verifies the handshake: the access token comes in `auth.token` (never the query string) and must
 * carry a role the namespace allows (and a `unitId` on `/field`). A missing or bad token is
 * `unauthenticated`; a malformed other field (`lastSeq: -1`) or id claim is `invalid_handshake`
 * naming it.
 */
export async function authenticateHandshake(
  auth: unknown,
  verifier: JwtVerifier,
  policy: NamespacePolicy,
): Promise<SocketIdentity> {
  const result = fieldHandshakeAuthSchema.safeParse(auth);
  if (!result.success) {
    throw refusalOf(result.error);
  }
  const parsed = result.data;
  let verified: Awaited<ReturnType<JwtVerifier['verify']>>;
  try {
    verified = await verifier.verify(parsed.token);
  } catch (error) {
    throw WsException.unauthenticated(error instanceof Error ? error.message : 'invalid token');
  }
  const { claims, expiresAt } = verified;
  const badClaims = claimIssues(claims);
  if (badClaims.length > 0) {
    throw WsException.invalidHandshake(badClaims);
  }
  // The agency requires MFA of this user and the session has not proved it (docs/adr/0023).
  if (claims.mfaPending) {
    throw WsException.forbidden('Your agency requires a second factor: set up TOTP first');
  }
  if (!claims.roles.some((role) => policy.roles.includes(role))) {
    throw WsException.forbidden(
      `/${policy.name} needs one of the roles ${policy.roles.join(', ')}`,
    );
  }
  if (policy.requireUnit && !claims.unitId) {
    throw WsException.forbidden(`/${policy.name} needs a token with a unitId`);
  }
  return {
    user: claims,
    expiresAt,
    ...(parsed.lastSeq === undefined ? {} : { lastSeq: parsed.lastSeq }),
    ...(parsed.lastUserSeq === undefined ? {} : { lastUserSeq: parsed.lastUserSeq }),
  };
}
