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
  /** Verified tokens remembered until they expire (default 10,000; 0 turns the cache off). */
  cacheSize?: number;
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
  /**
   * Tokens verified before, until their expiry: a client sends the same token with every request
   * for its lifetime, and an ES256 verification costs far more than the lookup. Bounded (the
   * oldest entry goes first); only successful verifications are kept.
   */
  private readonly verified = new Map<string, VerifiedToken>();
  private readonly cacheSize: number;

  constructor(private readonly options: JwtVerifierOptions) {
    this.key = createPublicKey(options.publicKeyPem.replace(/\\n/g, '\n'));
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAt) {
        return known;
      }
      this.verified.delete(token);
      throw AuthException.unauthenticated('Access token expired');
    }
    const result = await this.verifySignature(token);
    if (this.cacheSize > 0) {
      if (this.verified.size >= this.cacheSize) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) {
          this.verified.delete(oldest.value);
        }
      }
      this.verified.set(token, result);
    }
    return result;
  }

  private async verifySignature(token: string): Promise<VerifiedToken> {
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
