import { fieldHandshakeAuthSchema, type AccessClaims, type Role } from '@gad/contracts';
import type { JwtVerifier } from '@gad/platform';
import type { Socket } from 'socket.io';
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
  roles: readonly Role[];
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

/**
 * Verifies the handshake: the access token comes in `auth.token` (never the query string) and must
 * carry a role the namespace allows (and a `unitId` on `/field`).
 */
export async function authenticateHandshake(
  auth: unknown,
  verifier: JwtVerifier,
  policy: NamespacePolicy,
): Promise<SocketIdentity> {
  const parsed = fieldHandshakeAuthSchema.safeParse(auth);
  if (!parsed.success) {
    throw WsException.unauthenticated('token missing');
  }
  let verified: Awaited<ReturnType<JwtVerifier['verify']>>;
  try {
    verified = await verifier.verify(parsed.data.token);
  } catch (error) {
    throw WsException.unauthenticated(error instanceof Error ? error.message : 'invalid token');
  }
  const { claims, expiresAt } = verified;
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
    ...(parsed.data.lastSeq === undefined ? {} : { lastSeq: parsed.data.lastSeq }),
    ...(parsed.data.lastUserSeq === undefined ? {} : { lastUserSeq: parsed.data.lastUserSeq }),
  };
}
