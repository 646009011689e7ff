import { commandIssued, connected, relayCommand } from './support/commands';
import { randomUUID } from 'node:crypto';
import { createServer, Socket as NetSocket, type Server } from 'node:net';
import {
  connectDispatch,
  connectField,
  subscribe,
  type DispatchSocket,
  type FieldConnection,
} from '@gad/client';
import {
  createEnvelope,
  EventTypes,
  Streams,
  type AssignmentUnacknowledgedV1,
  type Envelope,
  type DeliveredCommand,
  type Recipient,
  type Role,
  type ServerNotice,
  type SocketError,
  type UnitsMovedBatch,
} from '@gad/contracts';
import {
  createTestKeyPair,
  deleteKeysWithPrefix,
  signTestAccessToken,
  startServiceProcess,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type ServiceProcess,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { io, Manager, type Socket } from 'socket.io-client';

/**
 * Two ws-gateway processes sharing Redis (adapter, command log, consumer group), driven by real
 * socket.io clients through @gad/client. Commands are injected as `command.issued` envelopes on the
 * test's `gad:notify:outbound`; a tiny TCP load balancer in front of the two instances lets a
 * device reconnect "elsewhere" after an instance is killed.
 */
describe('ws-gateway (two instances)', () => {
  const prefix = uniqueRedisPrefix();
  const run = Date.now().toString(36);
  const agencyA = `agency-a-${run}`;
  const agencyB = `agency-b-${run}`;
  const keys = createTestKeyPair();
  let a: ServiceProcess;
  let b: ServiceProcess;
  let bus: { publish(stream: string, envelopes: Envelope | Envelope[]): Promise<void> };
  let redis: Redis;
  let balancer: LoadBalancer;
  const opened: { close(): void }[] = [];

  beforeAll(async () => {
    const env = {
      REDIS_KEY_PREFIX: prefix,
      JWT_PUBLIC_KEY: keys.publicKeyPem,
      WS_ABUSE_LIMIT: '60',
      WS_POSITIONS_BATCH_MS: '200',
      // A killed instance's sockets stop counting towards the user limit after 3 heartbeats.
      WS_INSTANCE_HEARTBEAT_MS: '300',
    };
    [a, b] = await Promise.all([
      startServiceProcess({ app: 'ws-gateway', env: { ...env, INSTANCE_ID: `ws-a-${run}` } }),
      startServiceProcess({ app: 'ws-gateway', env: { ...env, INSTANCE_ID: `ws-b-${run}` } }),
    ]);
    redis = new Redis(testStack.redisUrl);
    // The bus's wire format (libs/bus README): one field `envelope` with the JSON envelope.
    bus = {
      publish: async (stream, envelopes) => {
        const pipeline = redis.pipeline();
        for (const envelope of [envelopes].flat()) {
          pipeline.xadd(`${prefix}${stream}`, '*', 'envelope', JSON.stringify(envelope));
        }
        await pipeline.exec();
      },
    };
    balancer = await startLoadBalancer([a.port, b.port]);
  }, 60_000);

  afterAll(async () => {
    opened.forEach((socket) => socket.close());
    await Promise.all([a, b].map((service) => service?.stop()));
    await balancer?.close();
    if (redis) {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    }
  }, 30_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      console.log(a.tail(30), b.tail(30));
    }
  });

  function token(
    agencyId: string,
    userId: string,
    roles: Role[],
    options: { unitId?: string; expiresInS?: number } = {},
  ): Promise<string> {
    return signTestAccessToken(keys, { userId, agencyId, roles, ...options });
  }

  async function dispatchConsole(
    url: string,
    agencyId: string,
    userId: string,
    transports: ('websocket' | 'polling')[] = ['websocket'],
  ): Promise<DispatchSocket> {
    const socket = connectDispatch({
      url,
      token: await token(agencyId, userId, ['dispatcher']),
      transports,
    });
    opened.push({ close: () => socket.disconnect() });
    try {
      await connected(socket as unknown as Socket);
    } catch (error) {
      socket.disconnect(); // @gad/client would keep retrying a refused socket
      throw error;
    }
    return socket;
  }

  interface Device {
    connection: FieldConnection;
    commands: DeliveredCommand[];
    errors: SocketError[];
    notices: ServerNotice[];
  }

  async function device(
    url: string,
    agencyId: string,
    unitId: string,
    options: { expiresInS?: number; userId?: string } = {},
  ): Promise<Device> {
    const commands: DeliveredCommand[] = [];
    const access = await token(agencyId, options.userId ?? `officer-${unitId}`, ['officer'], {
      unitId,
      expiresInS: options.expiresInS,
    });
    const connection = connectField({
      url,
      token: access,
      transports: ['websocket'],
      onCommand: (command) => commands.push(command),
    });
    opened.push(connection);
    const errors: SocketError[] = [];
    const notices: ServerNotice[] = [];
    connection.socket.on('error', (error) => errors.push(error));
    connection.socket.on('notice', (notice) => notices.push(notice));
    await connected(connection.socket as unknown as Socket);
    return { connection, commands, errors, notices };
  }

  async function issue(
    agencyId: string,
    unitId: string,
    title: string,
    recipient: Recipient = { kind: 'unit', id: unitId },
  ): Promise<string> {
    const envelope = commandIssued(agencyId, recipient, title);
    await relayCommand(redis, prefix, envelope);
    return envelope.data.commandId;
  }

  it('delivers commands to the devices of a unit on both instances, in issue order', async () => {
    const unitId = `unit-x-${run}`;
    const onA = await device(a.url, agencyA, unitId);
    const onB = await device(b.url, agencyA, unitId, { userId: `officer-2-${unitId}` });
    // The producer assigns the seq in the call that publishes (docs/adr/0020): whatever instance
    // a device is on, it gets the commands in the order they were issued.
    const issued: string[] = [];
    for (let i = 1; i <= 5; i += 1) {
      issued.push(await issue(agencyA, unitId, `cmd ${i}`));
    }
    for (const [name, dev] of [
      ['A', onA],
      ['B', onB],
    ] as const) {
      await waitFor(() => dev.commands.length === issued.length, {
        description: `${issued.length} commands on the device connected to ${name}`,
      });
      expect(dev.commands.map((command) => command.commandId)).toEqual(issued);
      expect(dev.commands.map((command) => command.seq)).toEqual(issued.map((_, i) => i + 1));
    }
    // The device acked `delivered` by itself: it reached gad:field:acks with its identity.
    const ack = await waitFor(
      async () => {
        const entries = await redis.xrange(`${prefix}${Streams.FieldAcks}`, '-', '+');
        return entries
          .map(
            (entry) =>
              JSON.parse(entry[1][1]) as {
                type: string;
                data: { commandId: string; userId: string };
              },
          )
          .find(
            (envelope) =>
              envelope.data.commandId === issued[0] && envelope.data.userId === `officer-${unitId}`,
          );
      },
      { description: 'the delivered ack on gad:field:acks' },
    );
    expect(ack).toMatchObject({
      type: 'command.acknowledged',
      agencyId: agencyA,
      data: { commandId: issued[0], stage: 'delivered', unitId, userId: `officer-${unitId}` },
    });
  });

  it('sends coalesced unit positions to the agency consoles only (also over long-polling)', async () => {
    const mine = await dispatchConsole(a.url, agencyA, `dispatcher-pos-${run}`);
    const polling = await dispatchConsole(b.url, agencyA, `dispatcher-poll-${run}`, ['polling']);
    const other = await dispatchConsole(b.url, agencyB, `dispatcher-pos-${run}`);
    const batches: UnitsMovedBatch[] = [];
    const polled: UnitsMovedBatch[] = [];
    const leaked: UnitsMovedBatch[] = [];
    mine.on('units.moved', (batch) => batches.push(batch));
    polling.on('units.moved', (batch) => polled.push(batch));
    other.on('units.moved', (batch) => leaked.push(batch));
    const moved = (seq: number) =>
      createEnvelope({
        type: EventTypes.UnitMoved,
        agencyId: agencyA,
        actor: { kind: 'service', id: 'geo-service' },
        data: {
          unitId: `unit-moving-${run}`,
          position: { type: 'Point' as const, coordinates: [-3.7, 40.4 + seq / 1000] },
          recordedAt: new Date(Date.now() + seq).toISOString(),
          seq,
        },
      });
    await bus.publish(Streams.GeoEvents, [moved(1), moved(2), moved(3)]);
    const units = await waitFor(
      () => batches.flatMap((batch) => batch.units).find((unit) => unit.seq === 3),
      { description: 'the newest position in a units.moved batch' },
    );
    expect(units.position.coordinates).toEqual([-3.7, 40.403]);
    // Batches are volatile: a long-polling console between two polls may miss one, so keep moving.
    let seq = 3;
    await waitFor(
      async () => {
        if (polled.length > 0) {
          return true;
        }
        seq += 1;
        await bus.publish(Streams.GeoEvents, moved(seq));
        return false;
      },
      { description: 'a units.moved batch over long-polling', intervalMs: 500 },
    );
    expect(leaked).toEqual([]);
  });

  it('refuses a cross-agency subscription and accepts the own agency', async () => {
    const incidentId = randomUUID();
    await bus.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.IncidentCreated,
        agencyId: agencyB,
        actor: { kind: 'user', id: 'dispatcher-b' },
        data: {
          incidentId,
          type: 'fire',
          priority: 'P1',
          status: 'new',
          location: { type: 'Point', coordinates: [-3.7, 40.4] },
          createdAt: new Date().toISOString(),
        },
      }),
    );
    const owner = await dispatchConsole(b.url, agencyB, `dispatcher-sub-${run}`);
    await waitFor(
      () =>
        [a, b].some((service) =>
          service.logs.some(
            (line) =>
              line.json?.['msg'] === 'event emitted' && line.json['type'] === 'incident.created',
          ),
        ),
      { description: 'incident.created handled' },
    );
    const intruder = await dispatchConsole(a.url, agencyA, `dispatcher-sub-${run}`);
    const refused = await subscribe(intruder, { kind: 'incident', id: incidentId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const accepted = await subscribe(owner, { kind: 'incident', id: incidentId });
    expect(accepted).toEqual({ ok: true, room: `agency:${agencyB}:incident:${incidentId}` });
  });

  it('answers malformed payloads with invalid_payload and keeps the socket and process up', async () => {
    const unitId = `unit-bad-${run}`;
    const dev = await device(a.url, agencyA, unitId);
    const bad = await dev.connection.socket
      .timeout(5_000)
      .emitWithAck('position', { unitId, position: 'nowhere' } as never);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_payload', event: 'position' } });
    dev.connection.socket.emit('command.ack', { commandId: 'not-a-uuid', stage: 'maybe' } as never);
    (dev.connection.socket as unknown as Socket).emit('no.such.event', 1);
    await waitFor(() => dev.errors.length >= 3, { description: 'three error events' });
    // Validation runs in async handlers, so the unknown event may be answered first.
    expect(dev.errors.map((error) => error.code).sort()).toEqual([
      'invalid_payload',
      'invalid_payload',
      'unknown_event',
    ]);
    expect(dev.connection.socket.connected).toBe(true);
    const fix = {
      unitId,
      position: { type: 'Point' as const, coordinates: [-3.7, 40.4] as [number, number] },
      recordedAt: new Date().toISOString(),
      seq: 1,
    };
    expect(await dev.connection.reportPositions(fix)).toEqual({ ok: true, accepted: 1 });
    const entries = await redis.xrange(`${prefix}${Streams.GeoPositions}`, '-', '+');
    const reported = entries
      .map((entry) => JSON.parse(entry[1][1]) as { type: string; data: { positions: unknown[] } })
      .find((envelope) => JSON.stringify(envelope.data).includes(unitId));
    expect(reported).toMatchObject({ type: 'positions.reported', data: { positions: [fix] } });
    // A fix of another unit is refused.
    const foreign = await dev.connection.reportPositions({ ...fix, unitId: 'someone-else' });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('rejects a 17 KB payload by closing that connection only', async () => {
    const unitId = `unit-big-${run}`;
    const dev = await device(a.url, agencyA, unitId);
    const bystander = await device(a.url, agencyA, `unit-bystander-${run}`);
    const reasons: string[] = [];
    dev.connection.socket.on('disconnect', (reason) => reasons.push(reason));
    dev.connection.socket.emit('position', {
      unitId,
      position: { type: 'Point', coordinates: [-3.7, 40.4] },
      recordedAt: new Date().toISOString(),
      seq: 1,
      deviceId: 'x'.repeat(17 * 1024),
    });
    await waitFor(() => reasons.length > 0, { description: 'the oversized sender disconnected' });
    expect(reasons[0]).toBe('transport close');
    expect(bystander.connection.socket.connected).toBe(true);
    const entries = await redis.xrange(`${prefix}${Streams.GeoPositions}`, '-', '+');
    expect(entries.some((entry) => entry[1][1].includes(unitId))).toBe(false);
    const health = await fetch(`${a.url}/health/ready`);
    expect(health.status).toBe(200);
  });

  it('rate-limits a flooding socket, then disconnects it, without affecting other sockets', async () => {
    const flooder = await device(a.url, agencyA, `unit-flood-${run}`);
    const calm = await device(a.url, agencyA, `unit-calm-${run}`);
    const reasons: string[] = [];
    flooder.connection.socket.on('disconnect', (reason) => reasons.push(reason));
    for (let i = 0; i < 150; i += 1) {
      flooder.connection.socket.emit('resume', { lastSeq: 0 });
    }
    await waitFor(() => reasons.length > 0, { description: 'the flooder disconnected' });
    expect(flooder.errors.map((error) => error.code)).toContain('rate_limited');
    expect(flooder.notices.map((notice) => notice.code)).toContain('rate_limited');
    expect(reasons[0]).toBe('io server disconnect');
    expect(await calm.connection.resume()).toMatchObject({ ok: true, replayed: 0 });
    expect(calm.errors).toEqual([]);
  });

  it('refuses a sixth socket of one user across instances, and admits one once a socket closes', async () => {
    const userId = `dispatcher-many-${run}`;
    const sockets: DispatchSocket[] = [];
    for (let i = 0; i < 5; i += 1) {
      sockets.push(await dispatchConsole(i % 2 === 0 ? a.url : b.url, agencyA, userId));
    }
    const sixth = connectDispatch({
      url: b.url,
      token: await token(agencyA, userId, ['dispatcher']),
      transports: ['websocket'],
    });
    opened.push({ close: () => sixth.disconnect() });
    const refusal = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      sixth.once('connect_error', resolve),
    );
    expect(refusal.data?.code).toBe('too_many_sockets');
    sixth.disconnect();
    sockets[0].disconnect();
    await waitFor(
      async () => {
        const retry = connectDispatch({
          url: a.url,
          token: await token(agencyA, userId, ['dispatcher']),
          transports: ['websocket'],
        });
        opened.push({ close: () => retry.disconnect() });
        try {
          await connected(retry as unknown as Socket);
          return true;
        } catch {
          retry.disconnect();
          return false;
        }
      },
      { description: 'a fifth socket admitted after one closed' },
    );
  });

  it('disconnects a socket when its token expires', async () => {
    const dev = await device(b.url, agencyA, `unit-expiring-${run}`, { expiresInS: 3 });
    const reason = await new Promise<string>((resolve) =>
      dev.connection.socket.once('disconnect', resolve),
    );
    expect(reason).toBe('io server disconnect');
    expect(dev.notices.map((notice) => notice.code)).toEqual(['token_expired']);
  });

  it('disconnects every socket of a user on both instances when the sessions are revoked', async () => {
    const userId = `officer-logout-${run}`;
    const onA = await device(a.url, agencyA, `unit-logout-${run}`, { userId });
    const onB = await device(b.url, agencyA, `unit-logout-${run}`, { userId });
    const bystander = await device(b.url, agencyA, `unit-stays-${run}`);
    await bus.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UserSessionsRevoked,
        agencyId: agencyA,
        actor: { kind: 'user', id: userId },
        data: { userId, reason: 'logout', revokedAt: new Date().toISOString() },
      }),
    );
    await waitFor(() => !onA.connection.socket.connected && !onB.connection.socket.connected, {
      description: 'both sockets of the user disconnected',
    });
    expect(onA.notices.map((notice) => notice.code)).toContain('session_revoked');
    expect(bystander.connection.socket.connected).toBe(true);
  });

  /** A /field socket on its own connection with exactly this handshake `auth`. */
  function rawField(url: string, auth: Record<string, unknown>) {
    const socket = io(`${url}/field`, { auth, transports: ['websocket'], forceNew: true });
    opened.push({ close: () => socket.disconnect() });
    const commands: DeliveredCommand[] = [];
    socket.on('command', (command: DeliveredCommand) => commands.push(command));
    return { socket, commands };
  }

  function refusal(socket: Socket): Promise<{ code?: string; issues?: { path: string }[] }> {
    return new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('the handshake was accepted')));
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
        resolve(error.data ?? {}),
      );
    });
  }

  it('replays both command logs to a device whose handshake has no seq, or only lastUserSeq', async () => {
    const unitId = `unit-noseq-${run}`;
    const userId = `officer-noseq-${run}`;
    const forUnit = await issue(agencyA, unitId, 'to the unit');
    const forUser = await issue(agencyA, unitId, 'to the officer', { kind: 'user', id: userId });
    // Both are in their logs once issue() resolved (the relay's call appends and publishes).
    const access = await token(agencyA, userId, ['officer'], { unitId });
    for (const auth of [{ token: access }, { token: access, lastUserSeq: 0 }]) {
      const dev = rawField(b.url, auth);
      await waitFor(() => dev.commands.length >= 2, {
        description: `replay after a handshake with ${Object.keys(auth).join(', ')}`,
      });
      expect(dev.commands.map((command) => command.commandId).sort()).toEqual(
        [forUnit, forUser].sort(),
      );
      dev.socket.disconnect();
    }
  });

  it('refuses a malformed handshake field with invalid_handshake naming it', async () => {
    const access = await token(agencyA, `officer-badseq-${run}`, ['officer'], {
      unitId: `unit-badseq-${run}`,
    });
    const dev = rawField(a.url, { token: access, lastSeq: -1 });
    const refused = await refusal(dev.socket);
    expect(refused).toMatchObject({ code: 'invalid_handshake', issues: [{ path: '/lastSeq' }] });
    // A missing token is still unauthenticated.
    const anonymous = rawField(a.url, { lastSeq: 1 });
    expect(await refusal(anonymous.socket)).toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses tokens whose id claims would name another room, and subscriptions to such ids', async () => {
    const incidentId = randomUUID();
    // A (development) token whose agencyId names agency B's incident room.
    const forged = io(`${a.url}/dispatch`, {
      auth: { token: await token(`${agencyB}:incident:${incidentId}`, 'intruder', ['dispatcher']) },
      transports: ['websocket'],
      forceNew: true,
    });
    opened.push({ close: () => forged.disconnect() });
    const leaked: unknown[] = [];
    forged.onAny((event: string, payload: unknown) => leaked.push([event, payload]));
    expect(await refusal(forged)).toMatchObject({
      code: 'invalid_handshake',
      issues: [{ path: '/token/agencyId' }],
    });
    const device = rawField(a.url, {
      token: await token(agencyA, `officer-forged-${run}`, ['officer'], {
        unitId: `u1:user:someone`,
      }),
    });
    expect(await refusal(device.socket)).toMatchObject({
      code: 'invalid_handshake',
      issues: [{ path: '/token/unitId' }],
    });
    const console = await dispatchConsole(a.url, agencyA, `dispatcher-forged-${run}`);
    expect(
      await subscribe(console, { kind: 'zone', id: `x:incident:${incidentId}` }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(leaked).toEqual([]);
  });

  it('expiry of one namespace socket leaves the same connection’s other namespace socket up', async () => {
    const manager = new Manager(b.url, { transports: ['websocket'] });
    const console = manager.socket('/dispatch', {
      auth: { token: await token(agencyA, `dispatcher-shared-${run}`, ['dispatcher']) },
    });
    const field = manager.socket('/field', {
      auth: {
        token: await token(agencyA, `officer-shared-${run}`, ['officer'], {
          unitId: `unit-shared-${run}`,
          expiresInS: 3,
        }),
      },
    });
    opened.push({ close: () => console.disconnect() }, { close: () => field.disconnect() });
    const notices: ServerNotice[] = [];
    field.on('notice', (notice: ServerNotice) => notices.push(notice));
    const consoleDrops: string[] = [];
    console.on('disconnect', (reason) => consoleDrops.push(reason));
    console.connect();
    field.connect();
    await Promise.all([connected(console), connected(field)]);
    const reason = await new Promise<string>((resolve) => field.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    expect(notices.map((notice) => notice.code)).toEqual(['token_expired']);
    // The console stays connected on the same connection and keeps receiving its events.
    const created: string[] = [];
    console.on('incident.created', (event: Envelope<{ incidentId: string }>) =>
      created.push(event.data.incidentId),
    );
    const incidentId = randomUUID();
    await bus.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.IncidentCreated,
        agencyId: agencyA,
        actor: { kind: 'user', id: 'dispatcher-a' },
        data: {
          incidentId,
          type: 'fire',
          priority: 'P3',
          status: 'new',
          location: { type: 'Point', coordinates: [-3.7, 40.4] },
          createdAt: new Date().toISOString(),
        },
      }),
    );
    await waitFor(() => created.includes(incidentId), {
      description: 'the console got an event after the officer’s expiry',
    });
    expect(consoleDrops).toEqual([]);
    expect(console.connected).toBe(true);
  });

  it('sends escalations to every console of the agency, subscribed or not', async () => {
    const console = await dispatchConsole(a.url, agencyA, `dispatcher-escalation-${run}`);
    const other = await dispatchConsole(b.url, agencyB, `dispatcher-escalation-${run}`);
    const escalations: Envelope<AssignmentUnacknowledgedV1>[] = [];
    const leaked: unknown[] = [];
    console.on('assignment.unacknowledged', (event) => escalations.push(event));
    other.on('assignment.unacknowledged', (event) => leaked.push(event));
    const data: AssignmentUnacknowledgedV1 = {
      assignmentId: randomUUID(),
      incidentId: randomUUID(),
      unitId: `unit-escalated-${run}`,
      commandId: randomUUID(),
      lastStage: 'delivered',
      waitedMs: 30_000,
    };
    // notification-service's own stream (docs/adr/0028).
    await bus.publish(
      Streams.NotifyEvents,
      createEnvelope({
        type: EventTypes.AssignmentUnacknowledged,
        agencyId: agencyA,
        actor: { kind: 'service', id: 'notification-service' },
        data,
      }),
    );
    await waitFor(() => escalations.length > 0, {
      description: 'the escalation on an unsubscribed console',
    });
    expect(escalations[0]).toMatchObject({ type: 'assignment.unacknowledged', data });
    expect(leaked).toEqual([]);
  });

  it('after kill -9 of its instance, a device reconnects to the other and gets the missed commands in order', async () => {
    const unitId = `unit-failover-${run}`;
    // The balancer sends new connections to the first live backend: A.
    const dev = await device(balancer.url, agencyA, unitId);
    await waitFor(() => balancer.connectionsTo(a.port) > 0, { description: 'device on A' });
    const before = [
      await issue(agencyA, unitId, 'before 1'),
      await issue(agencyA, unitId, 'before 2'),
    ];
    await waitFor(() => dev.commands.length === 2, { description: 'two commands before the kill' });
    // A dispatcher at the socket limit, all on A.
    const dispatcher = `dispatcher-failover-${run}`;
    const onA: DispatchSocket[] = [];
    for (let i = 0; i < 5; i += 1) {
      onA.push(await dispatchConsole(a.url, agencyA, dispatcher));
    }

    balancer.pause();
    await a.kill();
    await waitFor(() => !dev.connection.socket.connected, { description: 'device lost A' });
    onA.forEach((socket) => socket.disconnect());
    // A died without releasing its sockets; once its heartbeat expired they no longer count, and
    // the dispatcher's five consoles are admitted on B.
    const onB: DispatchSocket[] = [];
    await waitFor(
      async () => {
        onB.push(await dispatchConsole(b.url, agencyA, dispatcher));
        return onB.length === 5;
      },
      { description: "the dispatcher's five consoles admitted on B", intervalMs: 200 },
    );
    expect(onB.every((socket) => socket.connected)).toBe(true);
    const missed: string[] = [];
    for (let i = 1; i <= 3; i += 1) {
      missed.push(await issue(agencyA, unitId, `missed ${i}`));
    }
    expect(dev.commands).toHaveLength(2);
    balancer.resume([b.port]);

    await waitFor(() => dev.commands.length === 5, {
      description: 'the missed commands replayed',
      timeoutMs: 20_000,
    });
    // Delivery follows the recipient's log, whose seqs the producer assigned in issue order.
    expect(dev.commands.map((command) => command.commandId)).toEqual([...before, ...missed]);
    expect(dev.commands.map((command) => command.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(dev.connection.lastSeq).toBe(5);
    await b.waitForLog((line) => line.json?.['msg'] === 'commands replayed', {
      description: 'replay on B',
    });
  }, 60_000);

  it('on SIGTERM tells its clients to reconnect elsewhere and exits within the deadline', async () => {
    const dev = await device(b.url, agencyA, `unit-drain-${run}`);
    const reasons: string[] = [];
    dev.connection.socket.on('disconnect', (reason) => reasons.push(reason));
    const exit = await b.stop('SIGTERM');
    expect(exit.code).toBe(0);
    await waitFor(() => reasons.length > 0, { description: 'device disconnected' });
    expect(dev.notices).toEqual([expect.objectContaining({ code: 'shutting_down' })]);
    // A transport close (not a server disconnect): socket.io clients reconnect by themselves.
    expect(reasons[0]).toBe('transport close');
  }, 30_000);
});

interface LoadBalancer {
  url: string;
  connectionsTo(port: number): number;
  /** New connections are refused until `resume`. */
  pause(): void;
  resume(ports: number[]): void;
  close(): Promise<void>;
}

/** A TCP balancer on loopback: each new connection goes to the first backend in the list. */
async function startLoadBalancer(initial: number[]): Promise<LoadBalancer> {
  let backends = initial;
  let paused = false;
  const counts = new Map<number, number>();
  const sockets = new Set<NetSocket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (paused || backends.length === 0) {
      client.destroy();
      return;
    }
    const port = backends[0];
    const upstream = new NetSocket();
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.connect(port, '127.0.0.1', () => {
      counts.set(port, (counts.get(port) ?? 0) + 1);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connectionsTo: (backend) => counts.get(backend) ?? 0,
    pause: () => {
      paused = true;
    },
    resume: (ports) => {
      backends = ports;
      paused = false;
    },
    close: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
