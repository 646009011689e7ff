import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** Issuer and audience of the access tokens the services accept by default (their env schemas). */
export const TEST_TOKEN_ISSUER = 'gad-dispatch';
export const TEST_TOKEN_AUDIENCE = 'gad-dispatch';

/** A test's access-token key pair: ES256 (P-256), as api-gateway signs and every service verifies. */
export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM: api-gateway's `JWT_PRIVATE_KEY`. */
  readonly privateKeyPem: string;
  /** SPKI PEM: `JWT_PUBLIC_KEY` of the services that verify tokens. */
  readonly publicKeyPem: string;
}

/** A fresh key pair; nothing is committed, every test file makes its own. */
export function createTestKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The variables that hand the pair to service processes. */
export function jwtEnvOf(keys: TestKeyPair): { JWT_PRIVATE_KEY: string; JWT_PUBLIC_KEY: string } {
  return { JWT_PRIVATE_KEY: keys.privateKeyPem, JWT_PUBLIC_KEY: keys.publicKeyPem };
}

/** A fresh Ed25519 private key as PKCS#8 PEM: audit-log-worker's `AUDIT_SIGNING_KEY`. */
export function createAuditSigningKeyPem(): string {
  return generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

export interface TestTokenClaims {
  /** `sub` */
  userId: string;
  agencyId: string;
  roles: readonly string[];
  /** Only for officers crewing a unit (what lets a device join `/field`). */
  unitId?: string;
  /** Seconds from now until `exp` (default 600). */
  expiresInS?: number;
  /** Default {@link TEST_TOKEN_ISSUER}. */
  issuer?: string;
  /** Default {@link TEST_TOKEN_AUDIENCE}. */
  audience?: string;
}

/**
 * An access token shaped as api-gateway issues them: ES256 with `typ: JWT`; `sub`, `agencyId`,
 * `roles` and, when given, `unitId`; `iss`, `aud`, `iat` and `exp`.
 */
export function signTestAccessToken(
  keys: TestKeyPair | KeyObject,
  claims: TestTokenClaims,
): Promise<string> {
  const privateKey = 'privateKeyPem' in keys ? keys.privateKey : keys;
  return new SignJWT({
    agencyId: claims.agencyId,
    roles: [...claims.roles],
    ...(claims.unitId ? { unitId: claims.unitId } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(claims.issuer ?? TEST_TOKEN_ISSUER)
    .setAudience(claims.audience ?? TEST_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.expiresInS ?? 600))
    .sign(privateKey);
}
