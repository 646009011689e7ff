import {
  connectDispatch,
  createGadClient,
  GadProblemError,
  type DispatchSocket,
} from '@gad/client';
import { traceIdOf, type Envelope, type IncidentCreatedV1 } from '@gad/contracts';
import {
  createAuditSigningKeyPem,
  createTestEnvironment,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';

/**
 * The walking skeleton across the five built services, started as processes and driven only through
 * @gad/client and a socket.io client: a dispatcher creates an incident over REST → stored with its
 * outbox row → relayed to gad:dispatch:events → emitted by ws-gateway to the agency room and
 * consumed by notification-service → audited through BullMQ into the audit chain; and the nearest
 * query goes api-gateway → bus RPC → geo-service → PostGIS. One trace id spans every hop.
 */
describe('walking skeleton', () => {
  const agencyId = `agency-${Date.now().toString(36)}`;
  const otherAgencyId = `${agencyId}-other`;
  let testEnv: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  const sockets: DispatchSocket[] = [];

  beforeAll(async () => {
    const env = await createTestEnvironment({ AUDIT_SIGNING_KEY: createAuditSigningKeyPem() });
    testEnv = env;
    // Services that own a schema migrate it at boot: start them one after another.
    for (const app of ['geo-service', 'audit-log-worker', 'api-gateway']) {
      services[app] = await startTestApp(app, env);
    }
    const [ws, notifications] = await Promise.all(
      ['ws-gateway', 'notification-service'].map((app) => startTestApp(app, env)),
    );
    services['ws-gateway'] = ws;
    services['notification-service'] = notifications;
  }, 180_000);

  afterAll(async () => {
    for (const socket of sockets) {
      socket.disconnect();
    }
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await testEnv?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of Object.values(services)) {
        console.log(service.tail(40));
      }
    }
  });

  const api = () => createGadClient({ baseUrl: services['api-gateway'].url });

  async function login(agency: string, roles: ('dispatcher' | 'auditor' | 'service')[]) {
    const client = api();
    await client.auth.devLogin({ agencyId: agency, userId: `${roles[0]}-1`, roles });
    return client;
  }

  async function connectedConsole(token: string): Promise<DispatchSocket> {
    const socket = connectDispatch({
      url: services['ws-gateway'].url,
      token,
      transports: ['websocket'],
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  it('carries a new incident from REST to the agency console, notifications and the audit chain on one trace', async () => {
    const dispatcher = await login(agencyId, ['dispatcher']);
    const outsider = await login(otherAgencyId, ['dispatcher']);
    const console = await connectedConsole(dispatcher.getAccessToken() as string);
    const outsiderConsole = await connectedConsole(outsider.getAccessToken() as string);
    const received: Envelope<IncidentCreatedV1>[] = [];
    const leaked: unknown[] = [];
    console.on('incident.created', (event) => received.push(event));
    outsiderConsole.on('incident.created', (event) => leaked.push(event));

    const { body: incident, meta } = await dispatcher.incidents.create({
      type: 'structure_fire',
      priority: 'P1',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
      address: 'Puerta del Sol 1, Madrid',
    });
    expect(incident).toMatchObject({ agencyId, status: 'new', priority: 'P1' });
    const traceId = meta.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // ws-gateway emitted it to the agency's room, in its envelope, on the request's trace.
    const event = await waitFor(() => received.find((e) => e.data.incidentId === incident.id), {
      description: 'incident.created on the dispatch console',
    });
    expect(event).toMatchObject({ type: 'incident.created', version: 1, agencyId });
    expect(event.data.location.coordinates).toEqual([-3.7038, 40.4168]);
    expect(traceIdOf(event.traceparent)).toBe(traceId);

    // The stream consumption in both consumers ran on the same trace.
    const notice = await services['notification-service'].waitForLog(
      (line) =>
        line.json?.['msg'] === 'incident notice prepared' &&
        line.json['incidentId'] === incident.id,
      { description: 'notification-service consuming incident.created' },
    );
    expect(notice.json?.['trace_id']).toBe(traceId);
    const emitted = await services['ws-gateway'].waitForLog(
      (line) => line.json?.['msg'] === 'event emitted' && line.json['eventId'] === event.id,
      { description: 'ws-gateway emitting incident.created' },
    );
    expect(emitted.json?.['trace_id']).toBe(traceId);

    // The creation is in the agency's audit chain, and the chain verifies.
    const auditor = await login(agencyId, ['auditor']);
    const entry = await waitFor(
      async () => {
        const { body } = await auditor.audit.list({ objectId: incident.id });
        return body.items.find((item) => item.entry.action === 'incident.create');
      },
      { description: 'the incident.create audit entry', timeoutMs: 15_000 },
    );
    expect(entry.entry).toMatchObject({ agencyId, outcome: 'success', traceId });
    expect(entry.entry.actor.id).toBe('dispatcher-1');
    const { body: verification } = await auditor.audit.verify({});
    expect(verification.valid).toBe(true);

    // Nothing reached the other agency's console.
    expect(leaked).toEqual([]);
  });

  it('answers the nearest-unit query through geo-service and PostGIS, and rejects bad input with problem+json', async () => {
    const tracker = await login(agencyId, ['service']);
    const dispatcher = await login(agencyId, ['dispatcher']);
    // Positions are taken for units of the agency only.
    const { body: unit } = await dispatcher.ops.createUnit({
      body: { callSign: 'SKEL-7', type: 'patrol' },
    });
    const { body: ingest } = await tracker.positions.report({
      positions: [
        {
          unitId: unit.id,
          position: { type: 'Point', coordinates: [-3.7, 40.418] },
          recordedAt: new Date().toISOString(),
          seq: 1,
          accuracyM: 5,
        },
      ],
    });
    expect(ingest).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });

    // The unit is 300 m away but has not been made available (a new unit is off duty, or geo-service
    // has not heard of it yet): it is counted as excluded, never recommended.
    const { body } = await dispatcher.units.nearest({
      lon: -3.7038,
      lat: 40.4168,
      limit: 3,
      maxDistanceM: 5_000,
    });
    expect(body.items).toEqual([]);
    expect((body.excluded?.unknownStatus ?? 0) + (body.excluded?.busy ?? 0)).toBe(1);

    const error = await dispatcher.units
      .nearest({ lon: 500, lat: 40 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GadProblemError);
    expect((error as GadProblemError).status).toBe(422);
    expect((error as GadProblemError).problem.errors?.[0]?.pointer).toBe('/query/lon');
  });

  it('refuses a console without a valid token with a coded connect_error', async () => {
    const socket = connectDispatch({
      url: services['ws-gateway'].url,
      token: 'not-a-jwt',
      transports: ['websocket'],
    });
    sockets.push(socket);
    const error = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('unauthenticated');
  });
});
