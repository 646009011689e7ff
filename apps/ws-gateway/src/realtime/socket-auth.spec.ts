import { PLATFORM_AGENCY_ID } from '@gad/contracts';
import { JwtVerifier } from '@gad/platform';
import { createTestKeyPair } from '@gad/testing';
import { SignJWT } from 'jose';
import { authenticateHandshake, dispatchPolicy, fieldPolicy } from './socket-auth';

/** Platform operators' tokens open no socket (docs/adr/0018): they hold no agency's data. */
describe('socket handshake and platform operators', () => {
  const keys = createTestKeyPair();
  const verifier = new JwtVerifier({
    publicKeyPem: keys.publicKeyPem,
    issuer: 'gad-test',
    audience: 'gad-test',
    algorithms: ['ES256'],
    cacheSize: 0,
  });
  const token = (agencyId: string, roles: string[]) =>
    new SignJWT({ agencyId, roles })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('operator-1')
      .setIssuer('gad-test')
      .setAudience('gad-test')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);

  it('refuses a platform-admin token on /dispatch and /field', async () => {
    const platform = await token(PLATFORM_AGENCY_ID, ['platform-admin']);
    for (const policy of [dispatchPolicy, fieldPolicy]) {
      await expect(
        authenticateHandshake({ token: platform }, verifier, policy),
      ).rejects.toMatchObject({ code: 'invalid_handshake' });
    }
  });

  it('refuses the platform role even under an agency claim', async () => {
    const disguised = await token('agency-a', ['platform-admin']);
    await expect(
      authenticateHandshake({ token: disguised }, verifier, dispatchPolicy),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('still lets a dispatcher in', async () => {
    const dispatcher = await token('agency-a', ['dispatcher']);
    await expect(
      authenticateHandshake({ token: dispatcher }, verifier, dispatchPolicy),
    ).resolves.toMatchObject({ user: { agencyId: 'agency-a', roles: ['dispatcher'] } });
  });
});
