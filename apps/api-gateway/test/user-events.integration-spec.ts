import type {
  AgencySettingsResponse,
  Envelope,
  IncidentTypeList,
  User,
  UserChangedV1,
} from '@gad/contracts';
import { Database } from '@gad/platform';
import { seedDemo } from '../src/identity/seed-demo.cli';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * Every change an admin makes to a user is published as `user.changed` through the outbox (in the
 * same transaction), so notification-service's recipients follow users without an internal RPC.
 */
describe('api-gateway user.changed events', () => {
  let gw: IdentityTestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start();
    admin = await gw.adminToken();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  const changesOf = async (userId: string): Promise<Envelope<UserChangedV1>[]> => {
    const rows = await gw.query<{ envelope: Envelope<UserChangedV1> }>(
      `SELECT envelope FROM dispatch.outbox ORDER BY id`,
    );
    return rows
      .map((r) => r.envelope)
      .filter((e) => e.type === 'user.changed' && e.data.userId === userId);
  };

  it('publishes the user on create, profile and role changes, disable, enable and delete', async () => {
    const created = await gw.send<User>('POST', '/v1/users', {
      token: admin,
      body: {
        username: 'supervisor-e',
        email: 'supervisor-e@example.test',
        roles: ['supervisor'],
        password: 'a long enough password',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const step = async (method: string, path: string, body?: unknown) => {
      const reply = await gw.send(method, path, { token: admin, ...(body ? { body } : {}) });
      expect(reply.status).toBeLessThan(300);
    };
    await step('PATCH', `/v1/users/${id}`, { locale: 'en' });
    await step('PUT', `/v1/users/${id}/roles`, { roles: ['supervisor', 'dispatcher'] });
    await step('POST', `/v1/users/${id}/disable`);
    await step('POST', `/v1/users/${id}/enable`);
    await step('DELETE', `/v1/users/${id}`);

    const events = await changesOf(id);
    expect(events.map((e) => [e.data.roles, e.data.locale, e.data.status])).toEqual([
      [['supervisor'], 'es', 'active'],
      [['supervisor'], 'en', 'active'],
      [['supervisor', 'dispatcher'], 'en', 'active'],
      [['supervisor', 'dispatcher'], 'en', 'disabled'],
      [['supervisor', 'dispatcher'], 'en', 'active'],
      [['supervisor', 'dispatcher'], 'en', 'deleted'],
    ]);
    expect(events.every((e) => e.agencyId === created.body.agencyId)).toBe(true);
    expect(events[0]?.actor).toMatchObject({ kind: 'user', roles: ['admin'] });
  });

  it('publishes nothing when a change is refused', async () => {
    const before = (
      await gw.query(`SELECT 1 FROM dispatch.outbox WHERE envelope->>'type' = 'user.changed'`)
    ).length;
    const refused = await gw.send('PATCH', `/v1/users/0190aaaa-0000-7000-8000-000000000000`, {
      token: admin,
      body: { locale: 'en' },
    });
    expect(refused.status).toBe(404);
    const after = (
      await gw.query(`SELECT 1 FROM dispatch.outbox WHERE envelope->>'type' = 'user.changed'`)
    ).length;
    expect(after).toBe(before);
  });

  it('publishes users created outside the admin routes: the bootstrap admin and the demo seed', async () => {
    const [bootstrapped] = await gw.query<{ id: string }>(
      'SELECT id FROM dispatch.users WHERE agency_id = $1 AND username = $2',
      [ADMIN.agencyId, ADMIN.username],
    );
    expect(bootstrapped).toBeDefined();
    const first = await changesOf(bootstrapped?.id ?? '');
    expect(first.map((e) => [e.agencyId, e.data.roles, e.data.status])).toEqual([
      [ADMIN.agencyId, ['admin'], 'active'],
    ]);

    const database = gw.app.get(Database);
    {
      const seeded = await seedDemo(database);
      for (const user of seeded.users) {
        const events = await changesOf(user.id);
        expect(events.map((e) => [e.agencyId, e.data.status])).toEqual([
          [seeded.agency.id, 'active'],
        ]);
        expect(events[0]?.data.roles).toContain(user.role);
      }
      // Seeding again refreshes the users and publishes them again (newest change wins).
      await seedDemo(database);
      expect(await changesOf(seeded.users[0]?.id ?? '')).toHaveLength(2);
    }
  });

  it('gives the demo agency incident types with response plans and a disposition list', async () => {
    const database = gw.app.get(Database);
    const seeded = await seedDemo(database);
    const dispatcher = seeded.users.find((user) => user.role === 'dispatcher');
    const login = await gw.login(dispatcher?.username ?? '', dispatcher?.password ?? '');
    expect(login.status).toBe(200);
    const token = login.body.accessToken;

    const types = await gw.send<IncidentTypeList>('GET', '/v1/incident-types', { token });
    expect(types.status).toBe(200);
    const fire = types.body.items.find((type) => type.code === 'structure_fire');
    expect(fire).toMatchObject({ active: true, defaultPriority: 'P1' });
    expect(fire?.plan).toEqual([
      { unitType: 'patrol', count: 2 },
      { unitType: 'ambulance', capabilities: ['als'], count: 1 },
    ]);
    expect(types.body.items.map((type) => type.code).sort()).toEqual(
      [...seeded.incidentTypes].sort(),
    );
    expect(types.body.items.every((type) => type.plan.length > 0)).toBe(true);

    const settings = await gw.send<AgencySettingsResponse>('GET', '/v1/agency/settings', {
      token,
    });
    expect(settings.status).toBe(200);
    expect(settings.body.settings.dispositionCodes).toEqual(
      expect.arrayContaining(['resolved', 'false_alarm']),
    );

    // An agency's own edit of a demo type survives seeding again.
    const admin = seeded.users.find((user) => user.role === 'admin');
    const adminToken = (await gw.login(admin?.username ?? '', admin?.password ?? '')).body
      .accessToken;
    const edited = await gw.send('PATCH', '/v1/incident-types/theft', {
      token: adminToken,
      body: { defaultPriority: 'P4' },
    });
    expect(edited.status).toBe(200);
    await seedDemo(database);
    const again = await gw.send<IncidentTypeList>('GET', '/v1/incident-types', { token });
    expect(again.body.items.find((type) => type.code === 'theft')?.defaultPriority).toBe('P4');
  });
});
