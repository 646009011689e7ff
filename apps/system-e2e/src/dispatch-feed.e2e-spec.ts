import { randomUUID } from 'node:crypto';
import {
  connectDispatchFeed,
  connectField,
  createGadClient,
  type DispatchFeed,
  type FieldConnection,
  type GadRestClient,
} from '@gad/client';
import {
  createEnvelope,
  EventTypes,
  Streams,
  type CommandIssuedV1,
  type Envelope,
  type IncidentUpdatedV1,
  type SocketAck,
  type CatchUpResult,
} from '@gad/contracts';
import {
  createTestEnvironment,
  startTestApp,
  testStack,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { relayCommand } from './support/commands';

/**
 * The consoles' live feed across the built api-gateway and ws-gateway: every change of an incident
 * reaches every console of the agency (and no other agency's), and a console that was offline
 * while the incident was re-prioritised and closed catches up after reconnecting: every change,
 * in order, once. Plus `resync_required` past the feed's window and acknowledgements with the
 * command's assignment.
 */
describe('dispatch feed: live changes and catch-up after a reconnect', () => {
  const run = Date.now().toString(36);
  const agencyId = `feed-a-${run}`;
  const otherAgencyId = `feed-b-${run}`;
  let environment: TestEnvironment;
  const services: ServiceProcess[] = [];
  let api: ServiceProcess;
  let ws: ServiceProcess;
  let redis: Redis;
  const opened: { close(): void }[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment({ WS_FEED_MAX_LEN: '100' });
    api = await startTestApp('api-gateway', environment);
    ws = await startTestApp('ws-gateway', environment);
    services.push(api, ws);
    redis = new Redis(testStack.redisUrl);
  }, 180_000);

  afterAll(async () => {
    opened.forEach((item) => item.close());
    redis?.disconnect();
    await Promise.all(services.map((service) => service.stop()));
    await environment?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      services.forEach((service) => console.log(service.tail(40)));
    }
  });

  async function login(
    agency: string,
    userId: string,
    roles: ('dispatcher' | 'supervisor')[] = ['dispatcher'],
  ): Promise<GadRestClient> {
    const client = createGadClient({ baseUrl: api.url });
    await client.auth.devLogin({ agencyId: agency, userId, roles });
    return client;
  }

  interface Console {
    feed: DispatchFeed;
    events: { event: Envelope; feedId: string }[];
    resyncs: { reason: string; lastEventId: string }[];
    /** While closed, every connection attempt waits (the console is "offline"). */
    gate: { open(): void; close(): void };
  }

  async function openConsole(client: GadRestClient, lastEventId?: string): Promise<Console> {
    const events: Console['events'] = [];
    const resyncs: Console['resyncs'] = [];
    let release: (() => void) | undefined;
    let closed: Promise<void> | undefined;
    const gate = {
      open: () => {
        release?.();
        closed = undefined;
      },
      close: () => {
        closed = new Promise<void>((resolve) => (release = resolve));
      },
    };
    let caughtUp = 0;
    const feed = connectDispatchFeed({
      url: ws.url,
      token: async (request) => {
        await closed;
        return client.freshAccessToken(request);
      },
      transports: ['websocket'],
      reconnect: { baseDelayMs: 100, maxDelayMs: 300 },
      ...(lastEventId ? { lastEventId } : {}),
      onEvent: (event, feedId) => events.push({ event, feedId }),
      onResync: (info) => resyncs.push(info),
      onCaughtUp: () => {
        caughtUp += 1;
      },
    });
    opened.push(feed);
    await waitFor(() => caughtUp > 0, { description: 'the console followed its feed' });
    return { feed, events, resyncs, gate };
  }

  const incidentEvents = (events: Console['events'], incidentId: string) =>
    events.filter(
      (entry) => (entry.event.data as { incidentId?: string }).incidentId === incidentId,
    );

  it('an offline console sees the re-prioritisation and the close after reconnecting, in order, once', async () => {
    const dispatcher = await login(agencyId, 'dispatcher-1');
    const offline = await openConsole(await login(agencyId, 'dispatcher-2'));
    const online = await openConsole(await login(agencyId, 'supervisor-1', ['supervisor']));
    const outsider = await openConsole(await login(otherAgencyId, 'dispatcher-9'));

    const { body: incident, meta } = await dispatcher.incidents.create({
      type: 'structure_fire',
      priority: 'P3',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
      address: 'Calle Mayor 1, Madrid',
    });
    await waitFor(() => incidentEvents(offline.events, incident.id).length === 1, {
      description: 'incident.created on the console',
    });

    // The console goes offline: its transport drops and every reconnection waits at the gate.
    offline.gate.close();
    (offline.feed.socket as unknown as Socket).io.engine.close();
    await waitFor(() => !offline.feed.socket.connected, { description: 'console offline' });

    const updated = await dispatcher.call(
      'updateIncident',
      { params: { id: incident.id }, body: { priority: 'P1', reason: 'persons trapped' } },
      { ifMatch: meta.etag },
    );
    expect(updated.meta.status).toBe(200);
    const note = await dispatcher.call('addIncidentNote', {
      params: { id: incident.id },
      body: { text: 'Two people on the third floor' },
    });
    expect(note.meta.status).toBe(201);
    for (const status of ['dispatched', 'resolved', 'closed'] as const) {
      await dispatcher.call('changeIncidentStatus', {
        params: { id: incident.id },
        body: { status, ...(status === 'closed' ? { disposition: 'resolved' } : {}) },
      });
    }
    const expected = [
      'incident.created',
      'incident.updated',
      'note.added',
      'incident.status_changed',
      'incident.status_changed',
      'incident.status_changed',
    ];
    // The connected console saw every change live, in order.
    await waitFor(() => incidentEvents(online.events, incident.id).length === expected.length, {
      description: 'every change on the connected console',
    });
    expect(incidentEvents(online.events, incident.id).map((entry) => entry.event.type)).toEqual(
      expected,
    );
    expect(incidentEvents(offline.events, incident.id)).toHaveLength(1);

    offline.gate.open();
    await waitFor(() => incidentEvents(offline.events, incident.id).length >= expected.length, {
      description: 'the offline console caught up',
    });
    // Once more round the loop: nothing further arrives twice.
    await waitFor(() => offline.feed.socket.connected, { description: 'reconnected' });
    const caught = incidentEvents(offline.events, incident.id);
    expect(caught.map((entry) => entry.event.type)).toEqual(expected);
    expect(new Set(caught.map((entry) => entry.event.id)).size).toBe(caught.length);
    expect(caught.map((entry) => entry.feedId)).toEqual(
      incidentEvents(online.events, incident.id).map((entry) => entry.feedId),
    );
    expect((caught[1].event.data as IncidentUpdatedV1).changes.priority).toBe('P1');
    expect((caught[2].event.data as { text: string }).text).toBe('Two people on the third floor');
    expect(caught.slice(3).map((entry) => (entry.event.data as { status: string }).status)).toEqual(
      ['dispatched', 'resolved', 'closed'],
    );
    expect(offline.resyncs).toEqual([]);
    expect(offline.feed.lastEventId).toBe(caught.at(-1)?.feedId);
    // Nothing of agency A reached agency B's console.
    expect(incidentEvents(outsider.events, incident.id)).toEqual([]);
    expect(outsider.events.filter((entry) => entry.event.agencyId !== otherAgencyId)).toEqual([]);
  });

  it('answers resync_required for an id older than the window and for an id the feed never gave', async () => {
    const agency = `feed-c-${run}`;
    const client = await login(agency, 'dispatcher-3');
    const viewer = await openConsole(client);
    const firstId = viewer.feed.lastEventId;
    expect(firstId).toBe('0-0');
    // 250 changes while WS_FEED_MAX_LEN is 100: the oldest are trimmed.
    const incidentId = randomUUID();
    const pipeline = redis.pipeline();
    for (let version = 1; version <= 250; version += 1) {
      const envelope = createEnvelope<IncidentUpdatedV1>({
        type: EventTypes.IncidentUpdated,
        agencyId: agency,
        actor: { kind: 'user', id: 'dispatcher-3' },
        data: {
          incidentId,
          version,
          changes: { description: `change ${version}` },
          updatedAt: new Date().toISOString(),
        },
      });
      pipeline.xadd(
        `${environment.redis.prefix}${Streams.DispatchEvents}`,
        '*',
        'envelope',
        JSON.stringify(envelope),
      );
    }
    await pipeline.exec();
    await waitFor(() => viewer.events.length === 250, {
      description: '250 live events',
      timeoutMs: 20_000,
    });
    // Live, in stream order.
    expect(viewer.events.map((entry) => (entry.event.data as IncidentUpdatedV1).version)).toEqual(
      Array.from({ length: 250 }, (_, index) => index + 1),
    );

    const raw = viewer.feed.socket as unknown as Socket;
    const catchUp = (request: unknown): Promise<SocketAck<CatchUpResult>> =>
      raw.timeout(5_000).emitWithAck('catch_up', request);
    expect(await catchUp({ lastEventId: '0-0' })).toMatchObject({
      ok: true,
      status: 'resync_required',
      reason: 'window_exceeded',
      lastEventId: viewer.events.at(-1)?.feedId,
    });
    expect(await catchUp({ lastEventId: `${Date.now() + 3_600_000}-0` })).toMatchObject({
      ok: true,
      status: 'resync_required',
      reason: 'feed_reset',
    });
    // Within the window: the events after the id, in pages.
    const from = viewer.events[219];
    const page = await catchUp({ lastEventId: from.feedId, limit: 20 });
    expect(page).toMatchObject({ ok: true, status: 'replay', more: true });
    const replay = page as { events: { feedId: string }[]; lastEventId: string };
    expect(replay.events.map((entry) => entry.feedId)).toEqual(
      viewer.events.slice(220, 240).map((entry) => entry.feedId),
    );
    expect(replay.lastEventId).toBe(viewer.events[239].feedId);
    // Bad input: an error with a code, nothing replayed.
    expect(await catchUp({ lastEventId: 'yesterday' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_payload' },
    });

    // A console that resumes from a trimmed id is told to resync, then follows on.
    const late = await openConsole(client, viewer.events[0].feedId);
    expect(late.resyncs).toEqual([
      { reason: 'window_exceeded', lastEventId: viewer.events.at(-1)?.feedId },
    ]);
    expect(late.events).toEqual([]);
    // A last event id the server cannot read (a corrupt stored value): resync, then follow.
    const corrupt = await openConsole(client, 'yesterday');
    expect(corrupt.resyncs).toEqual([{ reason: 'invalid_last_event_id', lastEventId: '0-0' }]);
    expect(corrupt.feed.lastEventId).toBe(viewer.events.at(-1)?.feedId);
  });

  it("forwards each acknowledgement stage with the command's assignment and incident", async () => {
    const client = await login(agencyId, 'dispatcher-4');
    const viewer = await openConsole(client);
    const unitId = `unit-${run}`;
    const token = await environment.signToken({
      userId: `officer-${run}`,
      agencyId,
      roles: ['officer'],
      unitId,
    });
    const device: FieldConnection = connectField({ url: ws.url, token, transports: ['websocket'] });
    opened.push(device);
    await waitFor(() => device.socket.connected, { description: 'device connected' });
    const assignmentId = randomUUID();
    const incidentId = randomUUID();
    const command = createEnvelope<CommandIssuedV1>({
      type: EventTypes.CommandIssued,
      agencyId,
      actor: { kind: 'service', id: 'notification-service' },
      data: {
        commandId: randomUUID(),
        recipient: { kind: 'unit', id: unitId },
        kind: 'dispatch',
        critical: true,
        assignmentId,
        incidentId,
        title: 'Dispatch',
        body: 'Go',
        locale: 'en',
        issuedAt: new Date().toISOString(),
      },
    });
    await relayCommand(redis, environment.redis.prefix, command);
    const acks = () =>
      viewer.events.filter((entry) => entry.event.type === EventTypes.CommandAcknowledged);
    await waitFor(() => acks().length === 1, { description: 'delivered ack on the console' });
    await device.ack(command.data.commandId, 'accepted');
    await waitFor(() => acks().length === 2, { description: 'accepted ack on the console' });
    expect(acks().map((entry) => entry.event.data)).toEqual([
      expect.objectContaining({ stage: 'delivered', assignmentId, incidentId, unitId }),
      expect.objectContaining({ stage: 'accepted', assignmentId, incidentId, unitId }),
    ]);
  });
});
