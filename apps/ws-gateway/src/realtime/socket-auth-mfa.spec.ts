import { JwtVerifier } from '@gad/platform';
import { createTestKeyPair } from '@gad/testing';
import { SignJWT } from 'jose';
import { authenticateHandshake, dispatchPolicy } from './socket-auth';

/**
 * The agency's MFA policy at the socket handshake (docs/adr/0023): a token whose session has not
 * proved the second factor the policy requires (`mfaPending`) opens no namespace.
 */
describe('socket handshake and MFA', () => {
  const keys = createTestKeyPair();
  const sut = new JwtVerifier({
    publicKeyPem: keys.publicKeyPem,
    issuer: 'gad-test',
    audience: 'gad-test',
    algorithms: ['ES256'],
    cacheSize: 0,
  });
  const token = (claims: Record<string, unknown>) =>
    new SignJWT({ agencyId: 'agency-a', roles: ['dispatcher'], ...claims })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('dispatcher-1')
      .setIssuer('gad-test')
      .setAudience('gad-test')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);

  it('refuses a token of a user who must enrol in MFA first', async () => {
    const pending = await token({ amr: ['pwd'], mfaPending: true });
    await expect(
      authenticateHandshake({ token: pending }, sut, dispatchPolicy),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('lets in a session that proved TOTP', async () => {
    const proved = await token({ amr: ['pwd', 'otp'] });
    await expect(
      authenticateHandshake({ token: proved }, sut, dispatchPolicy),
    ).resolves.toMatchObject({ user: { sub: 'dispatcher-1', amr: ['pwd', 'otp'] } });
  });
});
