import { decodeProtectedHeader, jwtVerify } from 'jose';
import { createPublicKey } from 'node:crypto';
import {
  createAuditSigningKeyPem,
  createTestKeyPair,
  jwtEnvOf,
  signTestAccessToken,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
} from './test-keys';

describe('test keys and tokens', () => {
  const sut = createTestKeyPair();

  it('signs an ES256 access token with the claims api-gateway puts in one', async () => {
    const token = await signTestAccessToken(sut, {
      userId: 'officer-1',
      agencyId: 'agency-a',
      roles: ['officer'],
      unitId: 'unit-7',
      expiresInS: 120,
    });

    const { payload } = await jwtVerify(token, createPublicKey(sut.publicKeyPem), {
      issuer: TEST_TOKEN_ISSUER,
      audience: TEST_TOKEN_AUDIENCE,
      algorithms: ['ES256'],
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT' });
    expect(payload).toMatchObject({
      sub: 'officer-1',
      agencyId: 'agency-a',
      roles: ['officer'],
      unitId: 'unit-7',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  it('leaves unitId out unless given, and signs with a bare private key too', async () => {
    const token = await signTestAccessToken(sut.privateKey, {
      userId: 'dispatcher-1',
      agencyId: 'agency-a',
      roles: ['dispatcher'],
    });

    const { payload } = await jwtVerify(token, sut.publicKey);
    expect(payload).not.toHaveProperty('unitId');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  it('hands the pair to services as PEM, and makes Ed25519 audit keys', () => {
    const env = jwtEnvOf(sut);

    expect(env.JWT_PRIVATE_KEY).toContain('-----BEGIN PRIVATE KEY-----');
    expect(env.JWT_PUBLIC_KEY).toContain('-----BEGIN PUBLIC KEY-----');
    expect(createPublicKey(createAuditSigningKeyPem()).asymmetricKeyType).toBe('ed25519');
  });
});
