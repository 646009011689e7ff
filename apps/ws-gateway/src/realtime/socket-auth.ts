import type { AccessClaims } from '@gad/contracts';
import type { JwtVerifier } from '@gad/platform';
import type { Socket } from 'socket.io';

/** What a verified handshake leaves on `socket.data`. */
export interface SocketIdentity {
  user: AccessClaims;
  expiresAt: number;
}

export type AuthedSocket = Socket<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  SocketIdentity
>;

/**
 * socket.io middleware: the access token comes in the handshake `auth.token` (never the query string).
 * A rejection reaches the client as `connect_error` whose `data.code` says why.
 */
export function socketAuthMiddleware(verifier: JwtVerifier) {
  return (socket: Socket, next: (error?: Error) => void): void => {
    const token: unknown = socket.handshake.auth?.['token'];
    if (typeof token !== 'string' || token.length === 0) {
      next(
        Object.assign(new Error('unauthenticated'), {
          data: { code: 'unauthenticated', message: 'token missing' },
        }),
      );
      return;
    }
    verifier.verify(token).then(
      ({ claims, expiresAt }) => {
        socket.data = { user: claims, expiresAt } satisfies SocketIdentity;
        next();
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : 'invalid token';
        next(
          Object.assign(new Error('unauthenticated'), {
            data: { code: 'unauthenticated', message },
          }),
        );
      },
    );
  };
}
