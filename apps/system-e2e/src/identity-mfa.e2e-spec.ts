import {
  connectDispatch,
  createGadClient,
  type DispatchSocket,
  type GadRestClient,
} from '@gad/client';
import { isMfaChallenge } from '@gad/contracts';
import {
  createTestEnvironment,
  startTestApp,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { Secret, TOTP } from 'otpauth';

const PASSWORD = 'a long enough password';
const AGENCY = `mfa-${Date.now().toString(36)}`;

/**
 * The agency's MFA policy across the built api-gateway and ws-gateway processes, driven through
 * @gad/client (docs/adr/0023): a supervisor of a role that must use MFA gets tokens that open no
 * console socket until TOTP is enrolled; then the session's new token opens it, and the next login
 * asks for a code.
 */
describe('MFA policy at the socket handshake', () => {
  let environment: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  const sockets: DispatchSocket[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment({ OUTBOX_POLL_MS: '50' });
    services['api-gateway'] = await startTestApp('api-gateway', environment, {
      env: {
        BOOTSTRAP_AGENCY_ID: AGENCY,
        BOOTSTRAP_AGENCY_NAME: 'MFA agency',
        BOOTSTRAP_ADMIN_USERNAME: 'mfa-admin',
        BOOTSTRAP_ADMIN_EMAIL: 'mfa-admin@example.test',
        BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      },
    });
    services['ws-gateway'] = await startTestApp('ws-gateway', environment);
  }, 180_000);

  afterAll(async () => {
    sockets.forEach((socket) => socket.disconnect());
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await environment?.cleanUp();
  }, 60_000);

  const client = (): GadRestClient => createGadClient({ baseUrl: services['api-gateway'].url });

  /** Connects a console; resolves with the connect_error code, or `connected`. */
  function handshake(token: string): Promise<string> {
    const socket = connectDispatch({
      url: services['ws-gateway'].url,
      token,
      transports: ['websocket'],
    });
    sockets.push(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
        resolve(error.data?.code ?? error.message),
      );
    });
  }

  it('refuses the console socket until the supervisor enrols, then lets it in', async () => {
    const admin = client();
    await admin.auth.login({ login: 'mfa-admin', password: PASSWORD });
    await admin.ops.createUser({
      body: {
        username: 'mfa-sup',
        email: 'mfa-sup@example.test',
        roles: ['supervisor'],
        password: PASSWORD,
      },
    });
    const settings = await admin.ops.getAgencySettings();
    await admin.ops.updateAgencySettings(
      { body: { mfaRequiredRoles: ['supervisor'] } },
      { ifMatch: settings.meta.etag },
    );

    const supervisor = client();
    const first = await supervisor.auth.login({ login: 'mfa-sup', password: PASSWORD });
    expect(isMfaChallenge(first)).toBe(false);
    expect(await handshake(supervisor.getAccessToken() as string)).toBe('forbidden');

    const { body: enrolment } = await supervisor.ops.enrolTotp();
    const totp = new TOTP({ secret: Secret.fromBase32(enrolment.secret), digits: 6, period: 30 });
    const { body: recovery } = await supervisor.ops.confirmTotp({
      body: { code: totp.generate() },
    });
    expect(recovery.recoveryCodes).toHaveLength(10);
    expect(await supervisor.auth.refresh()).toBe(true);
    expect(await handshake(supervisor.getAccessToken() as string)).toBe('connected');

    // From now on the password alone gives a challenge; a recovery code completes it.
    const again = client();
    const challenge = await again.auth.login({ login: 'mfa-sup', password: PASSWORD });
    expect(isMfaChallenge(challenge)).toBe(true);
    if (isMfaChallenge(challenge)) {
      await again.auth.verifyMfa(challenge.challengeToken, recovery.recoveryCodes[0] ?? '');
    }
    expect(await handshake(again.getAccessToken() as string)).toBe('connected');
  });
});
