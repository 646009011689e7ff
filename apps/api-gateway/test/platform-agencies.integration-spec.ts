import type {
  AgencySettingsResponse,
  CreatedAgencyAdmin,
  PlatformAgency,
  SessionTokens,
  TokenResponse,
} from '@gad/contracts';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * Platform operators and agency settings (issue #18): the operator bootstrapped from the
 * environment creates, configures and suspends agencies and creates their admins; platform and
 * agency tokens are kept apart; settings are validated, versioned and announced through the outbox.
 * Against the real PostgreSQL and Redis.
 */
const OPERATOR = { username: 'platform-ops', password: 'platform operator password' };

describe('platform operators and agency settings', () => {
  let gw: IdentityTestApp;
  let platform: string;
  let adminA: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({
      BOOTSTRAP_PLATFORM_ADMIN_USERNAME: OPERATOR.username,
      BOOTSTRAP_PLATFORM_ADMIN_PASSWORD: OPERATOR.password,
    });
    const login = await gw.send<TokenResponse>('POST', '/v1/platform/auth/login', {
      body: OPERATOR,
    });
    expect(login.status).toBe(200);
    platform = login.body.accessToken;
    adminA = await gw.adminToken();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  const settingsEvents = async (agencyId: string) =>
    (
      await gw.query<{
        envelope: { agencyId: string; data: { version: number; changed: string[] } };
      }>(
        `SELECT envelope FROM dispatch.outbox
         WHERE envelope->>'type' = 'agency.settings_changed' AND envelope->>'agencyId' = $1
         ORDER BY id`,
        [agencyId],
      )
    ).map((row) => row.envelope.data);

  it('bootstraps one platform operator from the environment, with an argon2id hash', async () => {
    const rows = await gw.query<{ username: string; password_hash: string }>(
      'SELECT username, password_hash FROM dispatch.platform_operators',
    );
    expect(rows).toEqual([
      { username: OPERATOR.username, password_hash: expect.stringMatching(/^\$argon2id\$/) },
    ]);
    const wrong = await gw.send('POST', '/v1/platform/auth/login', {
      body: { ...OPERATOR, password: 'not the password at all' },
    });
    expect(wrong.status).toBe(401);
  });

  it('creates agency B and its first admin, who sets a password with the one-time token', async () => {
    const created = await gw.send<PlatformAgency>('POST', '/v1/platform/agencies', {
      token: platform,
      body: { id: 'agency-b', name: 'Agency B', settings: { timeZone: 'Atlantic/Canary' } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'agency-b',
      status: 'active',
      settingsVersion: 1,
      settings: { timeZone: 'Atlantic/Canary', locale: 'es', allowedWebhookHosts: [] },
    });
    expect(await settingsEvents('agency-b')).toEqual([
      expect.objectContaining({ version: 1, changed: expect.arrayContaining(['timeZone']) }),
    ]);
    const again = await gw.send('POST', '/v1/platform/agencies', {
      token: platform,
      body: { id: 'agency-b', name: 'Agency B again' },
    });
    expect(again.status).toBe(409);

    const admin = await gw.send<CreatedAgencyAdmin>(
      'POST',
      '/v1/platform/agencies/agency-b/admins',
      {
        token: platform,
        body: { username: 'admin-b', email: 'admin-b@example.test' },
      },
    );
    expect(admin.status).toBe(201);
    expect(admin.body.user).toMatchObject({ agencyId: 'agency-b', roles: ['admin'] });
    // notification-service's recipients follow the new admin like any other user.
    const published = await gw.query<{ envelope: { agencyId: string; data: { roles: string[] } } }>(
      `SELECT envelope FROM dispatch.outbox
        WHERE envelope->>'type' = 'user.changed' AND envelope->'data'->>'userId' = $1`,
      [admin.body.user.id],
    );
    expect(published.map((row) => [row.envelope.agencyId, row.envelope.data.roles])).toEqual([
      ['agency-b', ['admin']],
    ]);
    const stored = await gw.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM dispatch.password_setup_tokens',
    );
    expect(stored.map((row) => row.token_hash.toString('base64url'))).not.toContain(
      admin.body.setPasswordToken,
    );

    // No usable password until the token is spent; the token works once.
    expect(
      (await gw.send('POST', '/v1/auth/login', { body: { login: 'admin-b', password: 'x' } }))
        .status,
    ).toBe(401);
    const set = await gw.send('POST', '/v1/auth/set-password', {
      body: { token: admin.body.setPasswordToken, password: 'agency b admin password' },
    });
    expect(set.status).toBe(204);
    const reuse = await gw.send('POST', '/v1/auth/set-password', {
      body: { token: admin.body.setPasswordToken, password: 'another password here' },
    });
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ code: 'set_password_token_invalid' });
    const login = await gw.login('admin-b', 'agency b admin password');
    expect(login.status).toBe(200);

    // A second admin of an agency that has admins already: the platform route still works.
    const second = await gw.send('POST', `/v1/platform/agencies/${ADMIN.agencyId}/admins`, {
      token: platform,
      body: { username: 'admin-a2', email: 'admin-a2@example.test' },
    });
    expect(second.status).toBe(201);

    const entries = await gw.auditEntries();
    const actions = entries
      .filter((entry) => entry.actor.roles?.includes('platform-admin'))
      .map((entry) => `${entry.agencyId} ${entry.action}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'agency-b agency.create',
        '_platform agency.create',
        'agency-b agency.admin_create',
        '_platform agency.admin_create',
      ]),
    );
  });

  it('gives a platform admin no agency data, and an agency admin no platform route', async () => {
    for (const path of [
      '/v1/incidents',
      '/v1/units',
      '/v1/users',
      '/v1/audit',
      '/v1/agency',
      '/v1/agency/settings',
      '/v1/me',
    ]) {
      const reply = await gw.send('GET', path, { token: platform });
      expect([path, reply.status]).toEqual([path, 403]);
    }
    for (const [method, path] of [
      ['GET', '/v1/platform/agencies'],
      ['GET', `/v1/platform/agencies/${ADMIN.agencyId}`],
      ['POST', '/v1/platform/agencies'],
      ['PATCH', `/v1/platform/agencies/${ADMIN.agencyId}/settings`],
    ] as const) {
      const reply = await gw.send(method, path, {
        token: adminA,
        body: method === 'GET' ? undefined : { id: 'agency-x', name: 'X', locale: 'en' },
        headers: { 'if-match': '*' },
      });
      expect([path, reply.status]).toEqual([path, 403]);
    }
    const denials = (await gw.auditEntries()).filter(
      (entry) => entry.action === 'access.denied' && entry.actor.roles?.includes('platform-admin'),
    );
    expect(denials.length).toBeGreaterThanOrEqual(7);
  });

  it('lets the agency admin read and change only their own settings, with If-Match', async () => {
    const read = await gw.send<AgencySettingsResponse>('GET', '/v1/agency/settings', {
      token: adminA,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ agencyId: ADMIN.agencyId, version: 1 });
    const etag = read.headers.get('etag');
    expect(etag).toBe('"1"');

    const without = await gw.send('PATCH', '/v1/agency/settings', {
      token: adminA,
      body: { locale: 'en' },
    });
    expect(without.status).toBe(428);

    const ladder = { deliverMs: 5000, acceptMs: 20000, alertRoles: ['supervisor', 'dispatcher'] };
    const changed = await gw.send<AgencySettingsResponse>('PATCH', '/v1/agency/settings', {
      token: adminA,
      headers: { 'if-match': etag ?? '' },
      body: {
        locale: 'en',
        nearestMaxPositionAgeS: 120,
        escalation: { P1: ladder },
        allowedWebhookHosts: ['hooks.agency-a.example'],
      },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('"2"');
    expect(changed.body.settings).toMatchObject({
      locale: 'en',
      nearestMaxPositionAgeS: 120,
      escalation: { P1: ladder, P2: null },
      allowedWebhookHosts: ['hooks.agency-a.example'],
    });
    expect((await settingsEvents(ADMIN.agencyId)).at(-1)).toMatchObject({
      version: 2,
      changed: ['locale', 'nearestMaxPositionAgeS', 'escalation', 'allowedWebhookHosts'],
    });

    const stale = await gw.send('PATCH', '/v1/agency/settings', {
      token: adminA,
      headers: { 'if-match': '"1"' },
      body: { locale: 'es' },
    });
    expect(stale.status).toBe(412);

    // agency B is untouched by agency A's admin: the route has no agency id to aim elsewhere.
    const b = await gw.send<AgencySettingsResponse>(
      'GET',
      '/v1/platform/agencies/agency-b/settings',
      {
        token: platform,
      },
    );
    expect(b.body.settings.locale).toBe('es');
    expect(b.body.version).toBe(1);
  });

  it('refuses bad settings with problem+json and changes nothing', async () => {
    const before = await gw.query(
      'SELECT settings, settings_version FROM dispatch.agencies ORDER BY id',
    );
    const eventsBefore = (await settingsEvents(ADMIN.agencyId)).length;
    for (const body of [
      { timeZone: 'Mars/Olympus_Mons' },
      { locale: 'fr' },
      { nearestMaxPositionAgeS: 0 },
      { escalation: { P1: { deliverMs: -1, acceptMs: 1000, alertRoles: ['supervisor'] } } },
      { escalation: { P9: null } },
      { allowedWebhookHosts: ['http://evil.example/path'] },
      { retentionDays: 1.5 },
      {},
    ]) {
      const reply = await gw.send('PATCH', '/v1/agency/settings', {
        token: adminA,
        headers: { 'if-match': '*' },
        body,
      });
      expect([JSON.stringify(body), reply.status]).toEqual([JSON.stringify(body), 422]);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
      expect(reply.body).toMatchObject({ code: 'validation_failed' });
    }
    const platformReply = await gw.send('PATCH', '/v1/platform/agencies/agency-b/settings', {
      token: platform,
      headers: { 'if-match': '*' },
      body: { timeZone: 'Nowhere/Special' },
    });
    expect(platformReply.status).toBe(422);
    expect(
      await gw.query('SELECT settings, settings_version FROM dispatch.agencies ORDER BY id'),
    ).toEqual(before);
    expect((await settingsEvents(ADMIN.agencyId)).length).toBe(eventsBefore);
  });

  it('lets the platform admin configure an agency through its configure route', async () => {
    const reply = await gw.send<AgencySettingsResponse>(
      'PATCH',
      '/v1/platform/agencies/agency-b/settings',
      {
        token: platform,
        headers: { 'if-match': '"1"' },
        body: { retentionDays: 90 },
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      version: 2,
      settings: { retentionDays: 90, timeZone: 'Atlantic/Canary' },
    });
  });

  it('suspends an agency: login and refresh refused, sessions revoked; reactivation lets them in', async () => {
    const userId = await gw.createUser(adminA, { username: 'dispatcher-s', roles: ['dispatcher'] });
    const session = await gw.login('dispatcher-s', 'a long enough password');
    expect(session.status).toBe(200);
    const eventsBefore = (await gw.revocationEvents()).length;

    const suspended = await gw.send<PlatformAgency>(
      'POST',
      `/v1/platform/agencies/${ADMIN.agencyId}/suspend`,
      {
        token: platform,
        body: { reason: 'contract ended' },
      },
    );
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', statusReason: 'contract ended' });

    const login = await gw.login('dispatcher-s', 'a long enough password');
    expect(login.status).toBe(403);
    expect(login.body).toMatchObject({ code: 'agency_suspended' });
    const wrongPassword = await gw.login('dispatcher-s', 'not the right password');
    expect(wrongPassword.status).toBe(401);
    const refresh = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: session.body.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const withOldToken = await gw.send('GET', '/v1/me', { token: session.body.accessToken });
    expect(withOldToken.status).toBe(401);
    const revoked = (await gw.revocationEvents()).slice(eventsBefore);
    expect(revoked.map((event) => event.data['userId'])).toEqual(expect.arrayContaining([userId]));
    expect(revoked.every((event) => event.agencyId === ADMIN.agencyId)).toBe(true);

    // Another agency is not affected.
    expect((await gw.login('admin-b', 'agency b admin password')).status).toBe(200);

    const reactivated = await gw.send<PlatformAgency>(
      'POST',
      `/v1/platform/agencies/${ADMIN.agencyId}/reactivate`,
      {
        token: platform,
      },
    );
    expect(reactivated.body.status).toBe('active');
    const back = await gw.login('dispatcher-s', 'a long enough password');
    expect(back.status).toBe(200);
    adminA = await gw.adminToken();
  });

  it('lists agencies for the platform admin, with their status', async () => {
    const list = await gw.send<{ items: PlatformAgency[] }>(
      'GET',
      '/v1/platform/agencies?limit=10',
      {
        token: platform,
      },
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((agency) => agency.id)).toEqual([ADMIN.agencyId, 'agency-b']);
  });

  it('never lets an agency admin create a platform-admin user or dev token', async () => {
    const user = await gw.send('POST', '/v1/users', {
      token: adminA,
      body: {
        username: 'sneaky',
        email: 'sneaky@example.test',
        roles: ['platform-admin'],
        password: 'a long enough password',
      },
    });
    expect(user.status).toBe(422);
    const dev = await gw.send('POST', '/v1/auth/dev-login', {
      body: { agencyId: ADMIN.agencyId, userId: 'x-1', roles: ['platform-admin'] },
    });
    expect(dev.status).toBe(422);
  });
});

export type { SessionTokens };
