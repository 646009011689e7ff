import { createPublicKey, type KeyObject } from 'node:crypto';
import { accessClaimsSchema, type AccessClaims } from '@gad/contracts';
import { errors as joseErrors, jwtVerify } from 'jose';
import { DomainException } from '../lib/errors/domain.exception';

export interface JwtVerifierOptions {
  /** PEM public key (SPKI) or private key of the token issuer; the public half is used. */
  publicKeyPem: string;
  issuer: string;
  audience: string;
  /** Accepted algorithm(s). */
  algorithms?: string[];
}

export interface VerifiedToken {
  claims: AccessClaims;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
}

export class AuthException extends DomainException {
  static unauthenticated(detail: string): AuthException {
    return new AuthException('unauthenticated', 401, detail);
  }

  static forbidden(detail: string): AuthException {
    return new AuthException('forbidden', 403, detail);
  }
}

/** Verifies access JWTs (signature, issuer, audience, expiry) and their claims' shape. */
export class JwtVerifier {
  private readonly key: KeyObject;

  constructor(private readonly options: JwtVerifierOptions) {
    this.key = createPublicKey(options.publicKeyPem.replace(/\\n/g, '\n'));
  }

  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms ?? ['ES256'],
      });
      const claims = accessClaimsSchema.safeParse(payload);
      if (!claims.success || payload.exp === undefined) {
        throw AuthException.unauthenticated('Access token claims are malformed');
      }
      return { claims: claims.data, expiresAt: payload.exp * 1000 };
    } catch (error) {
      if (error instanceof AuthException) {
        throw error;
      }
      if (error instanceof joseErrors.JWTExpired) {
        throw AuthException.unauthenticated('Access token expired');
      }
      throw AuthException.unauthenticated('Access token is invalid');
    }
  }
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(value ?? '');
  return match?.[1];
}
