import { randomBytes } from 'node:crypto';
import { operations, roleSchema, type HttpOperation } from '@gad/contracts';
import { startServiceProcess, type ServiceProcess } from '@gad/testing';
import { IdentityTestApp, type Reply } from './identity-test-app';

const AGENCY_A = 'agency-a';
const AGENCY_B = 'agency-b';
const ALL_ROLES = [...roleSchema.options];

/** The request agency A makes against an object of agency B. */
interface Attempt {
  params: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** 404 unless said otherwise: platform routes refuse every agency token with 403. */
  status?: number;
}

interface Seeds {
  incident(): Promise<string>;
  unit(): Promise<string>;
  assignment(): Promise<string>;
  user(): Promise<string>;
  /** A live session of B's user {@link user}. */
  session(): Promise<string>;
  geofence(): Promise<string>;
  allCall(): Promise<string>;
  webhook(): Promise<string>;
  call(): Promise<string>;
  /** A call of B linked to {@link incident}. */
  linkedCall(): Promise<string>;
  otherIncident(): Promise<string>;
  incidentType(): Promise<string>;
  hazard(): Promise<string>;
}

/**
 * One row per operation of the registry whose path takes an id: how to reach agency B's object.
 * An operation with an id and no row here fails the test: add its row when adding the route.
 */
const fixtures: Record<string, (seeds: Seeds) => Promise<Attempt>> = {
  getIncident: async (s) => ({ params: { id: await s.incident() } }),
  updateIncident: async (s) => ({
    params: { id: await s.incident() },
    body: { description: 'changed by another agency' },
    headers: { 'if-match': '"1"' },
  }),
  changeIncidentStatus: async (s) => ({
    params: { id: await s.incident() },
    body: { status: 'cancelled', reason: 'isolation' },
  }),
  getIncidentTimeline: async (s) => ({ params: { id: await s.incident() } }),
  listIncidentNotifications: async (s) => ({ params: { id: await s.incident() } }),
  createAssignment: async (s) => ({
    params: { id: await s.incident() },
    body: { unitId: await s.unit() },
  }),
  listIncidentAssignments: async (s) => ({ params: { id: await s.incident() } }),
  getAssignment: async (s) => ({ params: { id: await s.assignment() } }),
  changeAssignmentStatus: async (s) => ({
    params: { id: await s.assignment() },
    body: { status: 'en_route' },
  }),
  getUnit: async (s) => ({ params: { id: await s.unit() } }),
  updateUnit: async (s) => ({ params: { id: await s.unit() }, body: { callSign: 'A-STOLEN' } }),
  deleteUnit: async (s) => ({ params: { id: await s.unit() } }),
  changeUnitStatus: async (s) => ({
    params: { id: await s.unit() },
    body: { status: 'out_of_service' },
  }),
  unitTrack: async (s) => ({
    params: { unitId: await s.unit() },
    query: { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date().toISOString() },
  }),
  getGeofence: async (s) => ({ params: { id: await s.geofence() } }),
  updateGeofence: async (s) => ({ params: { id: await s.geofence() }, body: { name: 'stolen' } }),
  deleteGeofence: async (s) => ({ params: { id: await s.geofence() } }),
  getUser: async (s) => ({ params: { id: await s.user() } }),
  updateUser: async (s) => ({ params: { id: await s.user() }, body: { locale: 'en' } }),
  deleteUser: async (s) => ({ params: { id: await s.user() } }),
  setUserRoles: async (s) => ({ params: { id: await s.user() }, body: { roles: ['admin'] } }),
  setUserPassword: async (s) => ({
    params: { id: await s.user() },
    body: { password: 'taken over by agency a' },
  }),
  unlockUser: async (s) => ({ params: { id: await s.user() } }),
  resetUserMfa: async (s) => ({ params: { id: await s.user() } }),
  endUserSessions: async (s) => ({ params: { id: await s.user() } }),
  endMySession: async (s) => ({ params: { id: await s.session() } }),
  disableUser: async (s) => ({ params: { id: await s.user() } }),
  enableUser: async (s) => ({ params: { id: await s.user() } }),
  getUserContacts: async (s) => ({ params: { id: await s.user() } }),
  createUserTelegramLink: async (s) => ({ params: { id: await s.user() } }),
  startUserEmailVerification: async (s) => ({
    params: { id: await s.user() },
    body: { email: 'a-spy@example.test' },
  }),
  setUserNotificationPreferences: async (s) => ({
    params: { id: await s.user() },
    body: { channels: ['in_app'], quietHours: null },
  }),
  getAllCall: async (s) => ({ params: { id: await s.allCall() } }),
  getCall: async (s) => ({ params: { id: await s.call() } }),
  linkCall: async (s) => ({
    params: { id: await s.call() },
    body: { incidentId: await s.incident() },
  }),
  createIncidentFromCall: async (s) => ({ params: { id: await s.call() }, body: {} }),
  getIncidentType: async (s) => ({ params: { code: await s.incidentType() } }),
  updateIncidentType: async (s) => ({
    params: { code: await s.incidentType() },
    body: { defaultPriority: 'P4' },
  }),
  getIncidentPlan: async (s) => ({ params: { id: await s.incident() } }),
  dispatchIncidentPlan: async (s) => ({ params: { id: await s.incident() }, body: {} }),
  addIncidentNote: async (s) => ({
    params: { id: await s.incident() },
    body: { text: 'written by agency a' },
  }),
  listIncidentNotes: async (s) => ({ params: { id: await s.incident() } }),
  addUnitNote: async (s) => ({ params: { id: await s.unit() }, body: { text: 'agency a' } }),
  listUnitNotes: async (s) => ({ params: { id: await s.unit() } }),
  mergeIncident: async (s) => ({
    params: { id: await s.incident() },
    body: { primaryIncidentId: await s.otherIncident() },
  }),
  splitIncident: async (s) => ({
    params: { id: await s.incident() },
    body: { callIds: [await s.linkedCall()] },
  }),
  getIncidentLinks: async (s) => ({ params: { id: await s.incident() } }),
  getHazard: async (s) => ({ params: { id: await s.hazard() } }),
  updateHazard: async (s) => ({ params: { id: await s.hazard() }, body: { title: 'stolen' } }),
  deleteHazard: async (s) => ({ params: { id: await s.hazard() } }),
  getIncidentHazards: async (s) => ({ params: { id: await s.incident() } }),
  getIncidentResponseTimes: async (s) => ({ params: { id: await s.incident() } }),
  getIncidentReplay: async (s) => ({
    params: { id: await s.incident() },
    query: { at: new Date().toISOString() },
  }),
  streamIncidentReplay: async (s) => ({
    params: { id: await s.incident() },
    query: { from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() },
  }),
  deleteAgencyWebhook: async (s) => ({ params: { id: await s.webhook() } }),
  // Platform routes (docs/adr/0018): no agency token reaches them, whatever its roles.
  getPlatformAgency: async () => ({ params: { agencyId: AGENCY_B }, status: 403 }),
  suspendPlatformAgency: async () => ({
    params: { agencyId: AGENCY_B },
    body: { reason: 'agency a says so' },
    status: 403,
  }),
  reactivatePlatformAgency: async () => ({ params: { agencyId: AGENCY_B }, status: 403 }),
  getPlatformAgencySettings: async () => ({ params: { agencyId: AGENCY_B }, status: 403 }),
  updatePlatformAgencySettings: async () => ({
    params: { agencyId: AGENCY_B },
    body: { locale: 'en' },
    headers: { 'if-match': '*' },
    status: 403,
  }),
  createPlatformAgencyAdmin: async () => ({
    params: { agencyId: AGENCY_B },
    body: { username: 'a-spy', email: 'a-spy@example.test' },
    status: 403,
  }),
};

const withId = (Object.values(operations) as HttpOperation[]).filter((operation) =>
  /\{[^}]+\}/.test(operation.path),
);

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/**
 * Agencies are tenants: a caller of agency A (holding every role) gets 404 problem+json for agency
 * B's object on every route of the registry that takes an id, and B's rows stay as they were.
 * Forwarded routes run against geo-service and notification-service as built processes.
 */
describe('cross-agency isolation on every route with an id', () => {
  let gw: IdentityTestApp;
  const services: ServiceProcess[] = [];
  let tokenA = '';
  let tokenB = '';
  let seeds: Seeds;

  async function asB<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const reply = await gw.send<T>(method, path, { token: tokenB, body });
    if (reply.status >= 300) {
      throw new Error(`seed ${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    return reply.body;
  }

  beforeAll(async () => {
    gw = await IdentityTestApp.start({ RPC_TIMEOUT_MS: '3000' });
    const env = {
      DATABASE_URL: gw.db.url,
      REDIS_KEY_PREFIX: gw.config.REDIS_KEY_PREFIX,
      LOG_LEVEL: 'warn',
    };
    services.push(
      await startServiceProcess({ app: 'geo-service', env, readyTimeoutMs: 60_000 }),
      await startServiceProcess({
        app: 'notification-service',
        // A sealing key, so agency B can create the webhook agency A then tries to delete.
        env: { ...env, NOTIFY_SECRETS_KEY: randomBytes(32).toString('base64') },
        readyTimeoutMs: 60_000,
      }),
    );
    await gw.query(`INSERT INTO dispatch.agencies (id, name) VALUES ($1, 'Agency B')`, [AGENCY_B]);
    tokenA = await gw.devToken(AGENCY_A, ALL_ROLES, 'isolation-a');
    tokenB = await gw.devToken(AGENCY_B, ALL_ROLES, 'isolation-b');
    const incident = once(
      async () =>
        (
          await asB<{ id: string }>('POST', '/v1/incidents', {
            type: 'fire',
            priority: 'P2',
            location: { type: 'Point', coordinates: [-3.7, 40.4] },
          })
        ).id,
    );
    const unit = once(async () => {
      const { id } = await asB<{ id: string }>('POST', '/v1/units', {
        callSign: 'B-1',
        type: 'patrol',
      });
      await asB('POST', `/v1/units/${id}/status`, { status: 'available' });
      return id;
    });
    const geofence = once(
      async () =>
        (
          await asB<{ id: string }>('POST', '/v1/geofences', {
            name: 'B zone',
            kind: 'zone',
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [-3.71, 40.41],
                  [-3.69, 40.41],
                  [-3.69, 40.43],
                  [-3.71, 40.41],
                ],
              ],
            },
          })
        ).id,
    );
    const newCall = async () =>
      (
        await asB<{ id: string }>('POST', '/v1/calls', {
          channel: 'phone',
          callerName: 'B caller',
          locationText: 'B street 1',
          location: { type: 'Point', coordinates: [-3.7, 40.4] },
          incidentType: 'fire',
        })
      ).id;
    seeds = {
      incident,
      unit,
      geofence,
      hazard: once(
        async () =>
          (
            await asB<{ id: string }>('POST', '/v1/hazards', {
              title: 'B dog on premises',
              area: { type: 'Point', coordinates: [-3.7, 40.4] },
            })
          ).id,
      ),
      call: once(newCall),
      linkedCall: once(async () => {
        const id = await newCall();
        await asB('POST', `/v1/calls/${id}/link`, { incidentId: await incident() });
        return id;
      }),
      otherIncident: once(
        async () =>
          (
            await asB<{ id: string }>('POST', '/v1/incidents', {
              type: 'fire',
              priority: 'P2',
              location: { type: 'Point', coordinates: [-3.7, 40.4] },
            })
          ).id,
      ),
      incidentType: once(async () => {
        await asB('POST', '/v1/incident-types', {
          code: 'b_fire',
          nameEs: 'Incendio B',
          nameEn: 'B fire',
          defaultPriority: 'P2',
          plan: [{ unitType: 'patrol', count: 1 }],
        });
        return 'b_fire';
      }),
      // To B's zone, where no unit has a position: no commands, so nothing of B moves meanwhile.
      allCall: once(
        async () =>
          (
            await asB<{ id: string }>('POST', '/v1/all-calls', {
              title: 'B all-call',
              message: 'All B units report in',
              zoneId: await geofence(),
            })
          ).id,
      ),
      webhook: once(
        async () =>
          (
            await asB<{ id: string }>('POST', '/v1/agency/webhooks', {
              url: 'https://93.184.215.14/b/hooks',
              description: 'B bridge',
            })
          ).id,
      ),
      assignment: once(
        async () =>
          (
            await asB<{ id: string }>('POST', `/v1/incidents/${await incident()}/assignments`, {
              unitId: await unit(),
            })
          ).id,
      ),
      user: once(
        async () =>
          (
            await asB<{ id: string }>('POST', '/v1/users', {
              username: 'b-officer',
              email: 'b-officer@example.test',
              roles: ['officer'],
              password: 'agency b password',
            })
          ).id,
      ),
      session: once(async () => {
        await seeds.user();
        const reply = await gw.send<{ sessionId: string }>('POST', '/v1/auth/login', {
          body: { login: 'b-officer', password: 'agency b password', agency: AGENCY_B },
        });
        return reply.body.sessionId;
      }),
    };
  }, 150_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await gw?.close();
  }, 60_000);

  /**
   * A digest of agency B's rows in every dispatch table that has `agency_id`, and in the
   * notification-service tables the forwarded routes write (webhooks, contact codes, all-calls).
   */
  async function agencyBDigest(): Promise<Record<string, string>> {
    const tables = await gw.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.columns
       WHERE column_name = 'agency_id'
         AND (table_schema = 'dispatch'
           OR (table_schema = 'notify'
             AND table_name IN ('webhooks', 'contact_verifications', 'all_calls')))
       ORDER BY table_schema, table_name`,
    );
    const digest: Record<string, string> = {};
    for (const { table_schema: schema, table_name: table } of tables) {
      const rows = await gw.query<{ d: string | null }>(
        `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS d FROM "${schema}"."${table}" t
         WHERE agency_id = $1`,
        [AGENCY_B],
      );
      digest[`${schema}.${table}`] = rows[0]?.d ?? 'empty';
    }
    return digest;
  }

  it('has a fixture for every operation that takes an id', () => {
    const missing = withId.map((op) => op.operationId).filter((id) => !(id in fixtures));
    expect(missing).toEqual([]);
    expect(withId.length).toBeGreaterThan(20);
  });

  const table = () => withId.map((operation) => [operation.operationId, operation] as const);

  async function attemptAsA(operationId: string, operation: HttpOperation): Promise<void> {
    const fixture = fixtures[operationId];
    if (!fixture) {
      throw new Error(`add an isolation fixture for ${operationId}`);
    }
    const attempt = await fixture(seeds);
    const before = await agencyBDigest();
    let path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = attempt.params[name];
      if (!value) throw new Error(`fixture of ${operationId} lacks param ${name}`);
      return encodeURIComponent(value);
    });
    if (attempt.query) {
      path += `?${new URLSearchParams(attempt.query).toString()}`;
    }
    const reply: Reply = await gw.send(operation.method, path, {
      token: tokenA,
      body: attempt.body,
      headers: attempt.headers,
    });
    const expected = attempt.status ?? 404;
    expect({ operationId, status: reply.status, body: reply.body }).toEqual({
      operationId,
      status: expected,
      body: expect.objectContaining({ status: expected }),
    });
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await agencyBDigest()).toEqual(before);
  }

  it.each(table())(
    '%s refuses agency A on agency B’s object (404; 403 on platform routes)',
    attemptAsA,
  );
});
