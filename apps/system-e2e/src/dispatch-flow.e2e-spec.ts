import { connectField, createGadClient, type FieldConnection } from '@gad/client';
import {
  EventTypes,
  Streams,
  createEnvelope,
  traceIdOf,
  uuidv7,
  type AssignmentCreatedV1,
  type AssignmentUnacknowledgedV1,
  type CommandIssuedV1,
  type DeliveredCommand,
  type Envelope,
} from '@gad/contracts';
import {
  createTestDatabase,
  createTestKeyPair,
  jwtEnvOf,
  startServiceProcess,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';

/**
 * Dispatch → command → device → ack across the built api-gateway, ws-gateway and
 * notification-service processes: the assignment event for a real incident is published on the bus
 * as the api-gateway would (appended to the stream), the officer's device is a real socket.io `/field` client, and the dispatcher reads the
 * acknowledgement stages over REST. Then notification-service is SIGKILLed mid-escalation and a new
 * process finishes the ladder without repeating a step.
 */
describe('dispatch flow: command, acknowledgement and escalation', () => {
  const agencyId = `agency-${Date.now().toString(36)}`;
  const prefix = uniqueRedisPrefix();
  let database: TestDatabase;
  let env: Record<string, string>;
  const services: Record<string, ServiceProcess> = {};
  const devices: FieldConnection[] = [];
  let redis: Redis;
  const notifyEnv = {
    ESCALATION_P1_DELIVER_MS: '1500',
    ESCALATION_P1_ACCEPT_MS: '6000',
    OUTBOX_POLL_MS: '50',
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: prefix,
      ...jwtEnvOf(createTestKeyPair()),
      AUTH_DEV_LOGIN: 'true',
    };
    services['api-gateway'] = await startServiceProcess({
      app: 'api-gateway',
      env,
      readyTimeoutMs: 60_000,
    });
    const [ws, notify] = await Promise.all([
      startServiceProcess({ app: 'ws-gateway', env, readyTimeoutMs: 60_000 }),
      startServiceProcess({
        app: 'notification-service',
        env: { ...env, ...notifyEnv },
        readyTimeoutMs: 60_000,
      }),
    ]);
    services['ws-gateway'] = ws;
    services['notification-service'] = notify;
    redis = new Redis(testStack.redisUrl);
  }, 180_000);

  afterAll(async () => {
    for (const device of devices) {
      device.close();
    }
    redis?.disconnect();
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await database?.drop();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of Object.values(services)) {
        console.log(service.tail(40));
      }
    }
  });

  async function login(
    userId: string,
    roles: ('admin' | 'dispatcher' | 'officer')[],
    unitId?: string,
  ) {
    const client = createGadClient({ baseUrl: services['api-gateway'].url });
    await client.auth.devLogin({ agencyId, userId, roles, ...(unitId ? { unitId } : {}) });
    return client;
  }

  /**
   * The `assignment.created` event the api-gateway would write for a real incident of the agency
   * (created over REST, so the dispatcher may read its notifications).
   */
  async function assignment(
    unitId: string,
    crew: string[],
  ): Promise<Envelope<AssignmentCreatedV1>> {
    const dispatcher = await login('dispatcher-1', ['dispatcher']);
    const { body: incident } = await dispatcher.incidents.create({
      type: 'cardiac_arrest',
      priority: 'P1',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
      address: 'Puerta del Sol 1, Madrid',
    });
    return createEnvelope<AssignmentCreatedV1>({
      type: EventTypes.AssignmentCreated,
      agencyId,
      actor: { kind: 'user', id: 'dispatcher-1', roles: ['dispatcher'] },
      data: {
        assignmentId: uuidv7(),
        incidentId: incident.id,
        unitId,
        callSign: unitId.toUpperCase(),
        status: 'notified',
        priority: 'P1',
        incidentType: 'cardiac_arrest',
        location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
        address: 'Puerta del Sol 1, Madrid',
        crew,
        createdAt: new Date().toISOString(),
      },
    });
  }

  /** Appends an envelope as the bus does (field `envelope`), standing in for the api-gateway's outbox. */
  async function publish(stream: string, envelope: Envelope): Promise<void> {
    await redis.xadd(`${prefix}${stream}`, '*', 'envelope', JSON.stringify(envelope));
  }

  /**
   * Distinct envelopes of one type on a stream. The outbox relay is at least once (a process killed
   * between XADD and marking the row sent appends it again after a restart, with the same envelope
   * id, which consumers dedupe), so duplicates are counted by envelope id.
   */
  async function entries<T>(stream: string, type: string): Promise<T[]> {
    const raw = await redis.xrange(`${prefix}${stream}`, '-', '+');
    const byId = new Map<string, T>();
    for (const [, fields] of raw) {
      const envelope = JSON.parse(fields[fields.indexOf('envelope') + 1] as string) as Envelope<T>;
      if (envelope.type === type) {
        byId.set(envelope.id, envelope.data);
      }
    }
    return [...byId.values()];
  }

  it('delivers a P1 command to the officer device and shows its acceptance to the dispatcher', async () => {
    const officer = await login('officer-12', ['officer'], 'unit-12');
    const received: DeliveredCommand[] = [];
    const device = connectField({
      url: services['ws-gateway'].url,
      token: officer.getAccessToken() as string,
      transports: ['websocket'],
      onCommand: (command) => received.push(command),
    });
    devices.push(device);
    await waitFor(() => device.socket.connected, { description: 'device connected' });

    const event = await assignment('unit-12', ['officer-12']);
    await publish(Streams.DispatchEvents, event);
    const command = await waitFor(
      () => received.find((c) => c.assignmentId === event.data.assignmentId),
      { description: 'the command on the officer device', timeoutMs: 15_000 },
    );
    expect(command).toMatchObject({ kind: 'dispatch', critical: true, seq: 1, locale: 'es' });
    const ack = await device.ack(command.commandId, 'accepted');
    expect(ack).toMatchObject({ ok: true });

    const dispatcher = await login('dispatcher-1', ['dispatcher']);
    const view = await waitFor(
      async () => {
        const { body } = await dispatcher.call('listIncidentNotifications', {
          params: { id: event.data.incidentId },
        });
        return body.items[0]?.status === 'accepted' && body;
      },
      { description: 'the accepted command over REST', timeoutMs: 15_000 },
    );
    expect(view.items).toHaveLength(1);
    expect(view.items[0]).toMatchObject({ commandId: command.commandId, userId: 'officer-12' });
    expect(view.items[0]?.stages.delivered).toBeDefined();
    expect(view.items[0]?.escalations).toEqual([]);
  }, 60_000);

  it("keeps one trace from the dispatcher's assignment POST to the device and the recorded acceptance", async () => {
    const admin = await login('admin-1', ['admin']);
    const { body: unit } = await admin.ops.createUnit({
      body: { callSign: 'T-1', type: 'patrol', capabilities: [], crew: ['officer-t1'] },
    });
    await admin.ops.changeUnitStatus({
      params: { id: unit.id },
      body: { status: 'available', reason: 'on duty' },
    });
    const officer = await login('officer-t1', ['officer'], unit.id);
    const received: DeliveredCommand[] = [];
    const device = connectField({
      url: services['ws-gateway'].url,
      token: officer.getAccessToken() as string,
      transports: ['websocket'],
      onCommand: (command) => received.push(command),
    });
    devices.push(device);
    await waitFor(() => device.socket.connected, { description: 'device connected' });
    const dispatcher = await login('dispatcher-1', ['dispatcher']);
    const { body: incident } = await dispatcher.incidents.create({
      type: 'cardiac_arrest',
      priority: 'P1',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
    });

    // The dispatcher's POST starts the trace (as a browser or a proxy would send it).
    const traceId = uuidv7().replace(/-/g, '');
    const response = await fetch(
      `${services['api-gateway'].url}/v1/incidents/${incident.id}/assignments`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${dispatcher.getAccessToken() as string}`,
          'content-type': 'application/json',
          'idempotency-key': uuidv7(),
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: JSON.stringify({ unitId: unit.id }),
      },
    );
    expect(response.status).toBe(201);
    const { id: assignmentId } = (await response.json()) as { id: string };
    const command = await waitFor(() => received.find((c) => c.assignmentId === assignmentId), {
      description: 'the command on the officer device',
      timeoutMs: 15_000,
    });
    // The command carries the dispatch's trace; connectField returns it on the ack.
    expect(traceIdOf(command.traceparent)).toBe(traceId);
    expect(await device.ack(command.commandId, 'accepted')).toMatchObject({ ok: true });
    const acks = await waitFor(
      async () => {
        const found = (await raw<{ commandId: string; stage: string }>(Streams.FieldAcks)).filter(
          (e) => e.data.commandId === command.commandId && e.data.stage === 'accepted',
        );
        return found.length > 0 && found;
      },
      { description: 'the accepted ack on gad:field:acks' },
    );
    expect(acks.map((envelope) => traceIdOf(envelope.traceparent))).toEqual([traceId]);
    // The acceptance api-gateway records (assignment → accepted) is in the same trace.
    const accepted = await waitFor(
      async () =>
        (await raw<{ assignmentId: string; status: string }>(Streams.DispatchEvents)).find(
          (e) =>
            e.type === EventTypes.AssignmentUpdated &&
            e.data.assignmentId === assignmentId &&
            e.data.status === 'accepted',
        ),
      { description: 'the recorded acceptance', timeoutMs: 15_000 },
    );
    expect(traceIdOf(accepted.traceparent)).toBe(traceId);
  }, 60_000);

  /** Every envelope on a stream, in stream order. */
  async function raw<T>(stream: string): Promise<Envelope<T>[]> {
    const entries = await redis.xrange(`${prefix}${stream}`, '-', '+');
    return entries.map(
      ([, fields]) => JSON.parse(fields[fields.indexOf('envelope') + 1] as string) as Envelope<T>,
    );
  }

  it('resumes an escalation after notification-service is SIGKILLed, with no step repeated', async () => {
    const traceId = uuidv7().replace(/-/g, '');
    const event = {
      ...(await assignment('unit-13', ['officer-13'])),
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    };
    await publish(Streams.DispatchEvents, event);
    const commandsOf = async () =>
      (await entries<CommandIssuedV1>(Streams.NotifyOutbound, EventTypes.CommandIssued)).filter(
        (c) => c.assignmentId === event.data.assignmentId && c.recipient.id === 'officer-13',
      );
    // Nobody acknowledges: the first step re-sends the command.
    await waitFor(async () => (await commandsOf()).length >= 2 && true, {
      description: 'the undelivered step re-sending the command',
      timeoutMs: 15_000,
    });

    await services['notification-service'].kill();
    services['notification-service'] = await startServiceProcess({
      app: 'notification-service',
      env: { ...env, ...notifyEnv },
      readyTimeoutMs: 60_000,
    });

    const unacknowledged = await waitFor(
      async () => {
        const found = (
          await entries<AssignmentUnacknowledgedV1>(
            Streams.NotifyEvents,
            EventTypes.AssignmentUnacknowledged,
          )
        ).filter((e) => e.assignmentId === event.data.assignmentId);
        return found.length > 0 && found;
      },
      { description: 'assignment.unacknowledged after the restart', timeoutMs: 30_000 },
    );
    const dispatcher = await login('dispatcher-1', ['dispatcher']);
    const { body } = await dispatcher.call('listIncidentNotifications', {
      params: { id: event.data.incidentId },
    });
    expect(body.items[0]?.escalations.map((e) => e.step)).toEqual(['undelivered', 'unaccepted']);
    expect(unacknowledged).toHaveLength(1);
    // The step ran in the new process on the dispatch's trace (carried in the delayed job).
    const step = await services['notification-service'].waitForLog(
      (line) =>
        line.json?.['msg'] === 'escalation step fired' &&
        line.json['assignmentId'] === event.data.assignmentId,
      { description: 'the unaccepted step in the restarted process' },
    );
    expect(step.json?.['step']).toBe('unaccepted');
    expect(step.json?.['trace_id']).toBe(traceId);
    const sent = await commandsOf();
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((c) => c.commandId)).size).toBe(1);
  }, 120_000);
});
