import { connectDispatch, createGadClient, subscribe, type DispatchSocket } from '@gad/client';
import { AuditActions } from '@gad/contracts';
import {
  createAuditSigningKeyPem,
  createTestEnvironment,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { Client } from 'pg';

/**
 * What CJIS 5.4 / NIST AU-2 ask to be audited beyond changes (docs/adr/0021), against the built
 * services: ws-gateway's socket connects, refusals, subscriptions and logoffs, and api-gateway's
 * reads of user data in summary form (who, which resource, when; not the data); and a change
 * api-gateway forwards over RPC, whose request entry geo-service commits with the change.
 */
describe('audit coverage of sockets and sensitive reads', () => {
  const agencyId = `agency-${Date.now().toString(36)}`;
  let environment: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  let db: Client | undefined;

  beforeAll(async () => {
    const env = await createTestEnvironment({ AUDIT_SIGNING_KEY: createAuditSigningKeyPem() });
    environment = env;
    services['audit-log-worker'] = await startTestApp('audit-log-worker', env);
    services['api-gateway'] = await startTestApp('api-gateway', env);
    services['ws-gateway'] = await startTestApp('ws-gateway', env);
    services['geo-service'] = await startTestApp('geo-service', env);
    db = new Client({ connectionString: env.database.url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await environment?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of Object.values(services)) {
        console.log(service.tail(40));
      }
    }
  });

  const entries = async (action: string) =>
    (
      await (db as Client).query<{ agency_id: string; entry: Record<string, unknown> }>(
        `SELECT agency_id, entry FROM audit.entries WHERE action = $1 ORDER BY seq`,
        [action],
      )
    ).rows;

  const connect = (token: string): Promise<DispatchSocket> => {
    const socket = connectDispatch({
      url: services['ws-gateway'].url,
      token,
      transports: ['websocket'],
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => {
        socket.disconnect();
        reject(error);
      });
    });
  };

  it('audits a socket connect, a subscription, a refused handshake and the logoff', async () => {
    const env = environment as TestEnvironment;
    const token = await env.signToken({ userId: 'dispatcher-7', agencyId, roles: ['dispatcher'] });
    const socket = await connect(token);
    const ack = await subscribe(socket, { kind: 'incident', id: 'inc-42' });
    expect(ack).toMatchObject({ ok: true });
    // Entries that answer something are on the audit queue before the answer: in the chain soon.
    const connected = await waitFor(
      async () =>
        (await entries(AuditActions.SocketConnected)).find((e) => e.agency_id === agencyId),
      { description: 'the socket.connect entry', timeoutMs: 15_000 },
    );
    expect(connected.entry).toMatchObject({
      service: 'ws-gateway',
      outcome: 'success',
      actor: { kind: 'user', id: 'dispatcher-7', roles: ['dispatcher'] },
      details: expect.objectContaining({ namespace: 'dispatch' }),
    });
    const subscribed = await waitFor(
      async () =>
        (await entries(AuditActions.SocketSubscribed)).find((e) => e.agency_id === agencyId),
      { description: 'the socket.subscribe entry', timeoutMs: 15_000 },
    );
    expect(subscribed.entry).toMatchObject({
      outcome: 'success',
      object: { type: 'incident', id: 'inc-42' },
    });

    await expect(connect('not-a-token')).rejects.toBeDefined();
    const refused = await waitFor(async () => (await entries(AuditActions.SocketRefused))[0], {
      description: 'the socket.connect_refused entry',
      timeoutMs: 15_000,
    });
    expect(refused.entry).toMatchObject({
      outcome: 'denied',
      actor: { kind: 'user', id: 'anonymous' },
      details: expect.objectContaining({ namespace: 'dispatch' }),
    });

    socket.disconnect();
    const loggedOff = await waitFor(
      async () =>
        (await entries(AuditActions.SocketDisconnected)).find((e) => e.agency_id === agencyId),
      { description: 'the socket.disconnect entry', timeoutMs: 15_000 },
    );
    expect(loggedOff.entry).toMatchObject({ actor: { id: 'dispatcher-7' }, outcome: 'success' });
  });

  it('audits reads of user data in summary form, without the data', async () => {
    const env = environment as TestEnvironment;
    const admin = createGadClient({
      baseUrl: services['api-gateway'].url,
      accessToken: await env.signToken({ userId: 'admin-7', agencyId, roles: ['admin'] }),
    });
    await admin.call('listUsers', { query: {} });
    const read = await waitFor(
      async () => (await entries(AuditActions.UserRead)).find((e) => e.agency_id === agencyId),
      { description: 'the user.read entry', timeoutMs: 15_000 },
    );
    expect(read.entry).toMatchObject({
      outcome: 'success',
      actor: { id: 'admin-7' },
      object: { type: 'user' },
      details: { method: 'GET', route: '/v1/users' },
    });
    expect(read.entry['changes']).toBeUndefined();
  });

  it('chains the entry of a geofence change forwarded to geo-service once, with its images', async () => {
    const env = environment as TestEnvironment;
    const supervisor = createGadClient({
      baseUrl: services['api-gateway'].url,
      accessToken: await env.signToken({ userId: 'sup-9', agencyId, roles: ['supervisor'] }),
    });
    const ring: Array<[number, number]> = [
      [-3.71, 40.41],
      [-3.69, 40.41],
      [-3.69, 40.43],
      [-3.71, 40.43],
      [-3.71, 40.41],
    ];
    const { body: fence } = await supervisor.call('createGeofence', {
      body: { name: 'Depot', kind: 'zone', geometry: { type: 'Polygon', coordinates: [ring] } },
    });
    await supervisor.call('updateGeofence', {
      params: { id: fence.id },
      body: { name: 'Depot North', expectedVersion: fence.version },
    });
    const chained = async (action: string) =>
      (await entries(action)).filter(
        (e) => e.agency_id === agencyId && (e.entry['object'] as { id?: string })?.id === fence.id,
      );
    const created = await waitFor(async () => (await chained('geofence.create'))[0], {
      description: 'the geofence.create entry in the chain',
      timeoutMs: 15_000,
    });
    expect(created.entry).toMatchObject({
      service: 'api-gateway',
      outcome: 'success',
      actor: { id: 'sup-9' },
      changes: { after: { id: fence.id, name: 'Depot' } },
    });
    const updated = await waitFor(async () => (await chained('geofence.update'))[0], {
      description: 'the geofence.update entry in the chain',
      timeoutMs: 15_000,
    });
    expect(updated.entry).toMatchObject({
      changes: { before: { name: 'Depot' }, after: { name: 'Depot North' } },
    });
    // Committed by geo-service (its outbox), not written again by api-gateway.
    const rows = await (db as Client).query<{ schema: string }>(
      `SELECT 'geo' AS schema FROM geo.outbox WHERE envelope->>'id' = ANY($1::text[])
        UNION ALL
       SELECT 'dispatch' FROM dispatch.outbox WHERE envelope->>'id' = ANY($1::text[])`,
      [[created.entry['id'], updated.entry['id']]],
    );
    expect(rows.rows.map((row) => row.schema)).toEqual(['geo', 'geo']);
    expect(await chained('geofence.create')).toHaveLength(1);
    expect(await chained('geofence.update')).toHaveLength(1);
  });

  it('chains a forwarded entry once when its RPC is delivered twice (idempotent by entry id)', async () => {
    // A redelivered RPC commits the same request entry twice in geo-service's outbox (shown with the
    // RPC itself in apps/geo-service/test/forwarded-audit.integration-spec.ts); here the second row
    // is written as that redelivery leaves it, and the chain must hold the entry once.
    const env = environment as TestEnvironment;
    const supervisor = createGadClient({
      baseUrl: services['api-gateway'].url,
      accessToken: await env.signToken({ userId: 'sup-9', agencyId, roles: ['supervisor'] }),
    });
    const ring: Array<[number, number]> = [
      [-3.61, 40.41],
      [-3.59, 40.41],
      [-3.59, 40.43],
      [-3.61, 40.43],
      [-3.61, 40.41],
    ];
    const { body: fence } = await supervisor.call('createGeofence', {
      body: { name: 'Yard', kind: 'zone', geometry: { type: 'Polygon', coordinates: [ring] } },
    });
    const { body: renamed } = await supervisor.call('updateGeofence', {
      params: { id: fence.id },
      body: { name: 'Yard B', expectedVersion: fence.version },
    });
    const pg = db as Client;
    // A service's audit outbox rows (libs/audit AUDIT_OUTBOX_STREAM).
    const AUDIT_OUTBOX_STREAM = 'queue:audit';
    const entryOf = async (name: string) =>
      waitFor(
        async () =>
          (
            await pg.query<{ id: string }>(
              `SELECT envelope->>'id' AS id FROM geo.outbox
                WHERE stream = $1 AND envelope->>'action' = 'geofence.update'
                  AND envelope->'object'->>'id' = $2 AND envelope->'changes'->'after'->>'name' = $3`,
              [AUDIT_OUTBOX_STREAM, fence.id, name],
            )
          ).rows[0]?.id,
        { description: `the outbox row of the rename to ${name}`, timeoutMs: 15_000 },
      );
    const retried = await entryOf('Yard B');
    await pg.query(
      `INSERT INTO geo.outbox (stream, envelope)
       SELECT stream, envelope FROM geo.outbox WHERE stream = $1 AND envelope->>'id' = $2`,
      [AUDIT_OUTBOX_STREAM, retried],
    );
    await supervisor.call('updateGeofence', {
      params: { id: fence.id },
      body: { name: 'Yard C', expectedVersion: renamed.version },
    });
    const later = await entryOf('Yard C');
    const { rows: outbox } = await pg.query(`SELECT 1 FROM geo.outbox WHERE envelope->>'id' = $1`, [
      retried,
    ]);
    expect(outbox).toHaveLength(2);
    const chained = async (id: string) =>
      (await entries('geofence.update')).filter((e) => e.entry['id'] === id);
    await waitFor(async () => (await chained(later)).length === 1, {
      description: 'the later update in the chain',
      timeoutMs: 15_000,
    });
    expect(await chained(retried)).toHaveLength(1);
  });
});
