import type { SessionTokens } from '@gad/contracts';
import { decodeJwt } from 'jose';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * Usernames and e-mails are unique per agency: an admin creating a user learns nothing about
 * other agencies' names. Login names the agency only when the name exists in more than one.
 */
describe('api-gateway user names per agency', () => {
  const agencyB = 'agency-names-b';
  const password = 'a long enough password';
  let gw: IdentityTestApp;
  let adminA: string;
  let adminB: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start();
    await gw.query(`INSERT INTO dispatch.agencies (id, name) VALUES ($1, 'Agency B')`, [agencyB]);
    adminA = await gw.adminToken();
    adminB = await gw.devToken(agencyB, ['admin'], 'admin-b');
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  const create = (token: string, username: string, email = `${username}@example.test`) =>
    gw.send<{ id?: string; code?: string }>('POST', '/v1/users', {
      token,
      body: { username, email, roles: ['dispatcher'], password },
    });

  it('lets two agencies each create user "dispatcher1" with the same e-mail', async () => {
    const inA = await create(adminA, 'dispatcher1');
    expect(inA.status).toBe(201);
    const inB = await create(adminB, 'Dispatcher1', 'DISPATCHER1@example.test');
    expect(inB.status).toBe(201);

    // Within one agency names stay unique (case-insensitive).
    expect((await create(adminB, 'DISPATCHER1', 'other@example.test')).body.code).toBe(
      'username_taken',
    );
    expect((await create(adminA, 'someone-else', 'Dispatcher1@example.test')).body.code).toBe(
      'email_taken',
    );
  });

  it('asks for the agency only when the login is ambiguous', async () => {
    const ambiguous = await gw.send<{ code: string }>('POST', '/v1/auth/login', {
      body: { login: 'dispatcher1', password },
    });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body.code).toBe('login_agency_required');

    for (const agency of [ADMIN.agencyId, agencyB]) {
      const login = await gw.send<SessionTokens>('POST', '/v1/auth/login', {
        body: { login: 'dispatcher1@example.test', password, agency },
      });
      expect(login.status).toBe(200);
      expect(decodeJwt(login.body.accessToken)['agencyId']).toBe(agency);
    }

    // A name of one agency only logs in without naming it, as before.
    expect((await gw.login(ADMIN.username, ADMIN.password)).status).toBe(200);
    // Naming another agency finds no such account there.
    const elsewhere = await gw.send<{ code: string }>('POST', '/v1/auth/login', {
      body: { login: ADMIN.username, password: ADMIN.password, agency: agencyB },
    });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.code).toBe('invalid_credentials');
  });
});
