import { createTestKeyPair } from '@gad/testing';
import { SignJWT } from 'jose';
import { JwtVerifier } from './jwt-verifier';

const { privateKey, publicKeyPem } = createTestKeyPair();
const options = { publicKeyPem, issuer: 'gad-api', audience: 'gad' };

const sign = (expiresAtSeconds: number, claims: Record<string, unknown> = {}) =>
  new SignJWT({ roles: ['dispatcher'], agencyId: 'agency-a', ...claims })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('user-1')
    .setIssuer('gad-api')
    .setAudience('gad')
    .setIssuedAt()
    .setExpirationTime(expiresAtSeconds)
    .sign(privateKey);

describe('JwtVerifier', () => {
  afterEach(() => jest.useRealTimers());

  it('accepts a valid token again without a second signature check', async () => {
    const verifier = new JwtVerifier(options);
    const token = await sign(Math.floor(Date.now() / 1000) + 600);
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(first.claims).toMatchObject({ sub: 'user-1', agencyId: 'agency-a' });
    expect(second).toBe(first);
  });

  it('refuses a remembered token once it has expired', async () => {
    const verifier = new JwtVerifier(options);
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    const token = await sign(expiresAt);
    await verifier.verify(token);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jest.setSystemTime(expiresAt * 1000 + 1);
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a tampered copy of a remembered token', async () => {
    const verifier = new JwtVerifier(options);
    const token = await sign(Math.floor(Date.now() / 1000) + 600);
    await verifier.verify(token);
    const tampered = `${token.slice(0, -4)}AAAA`;
    await expect(verifier.verify(tampered)).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ claims: { sub: 'user-1' } });
  });

  it('keeps at most cacheSize tokens', async () => {
    const verifier = new JwtVerifier({ ...options, cacheSize: 1 });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const [a, b] = await Promise.all([sign(exp, { sid: 'a' }), sign(exp, { sid: 'b' })]);
    const first = await verifier.verify(a);
    await verifier.verify(b);
    expect(await verifier.verify(a)).not.toBe(first);
  });
});
