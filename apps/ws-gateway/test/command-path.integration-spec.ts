// The command path of docs/adr/0020 on the real Redis (standalone and a 6-node Cluster) and real
// socket.io servers and clients: the producer's relay appends and publishes in one call, every
// gateway instance delivers from the command channel to its own sockets, commands from two
// producers at once reach a device in issue order, and an ack is accepted only from the command's
// recipient, with the command's assignment and in the trace the command carried.
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BusClient, CommandRelay, isClusterConnection, StreamKeys } from '@gad/bus';
import {
  createEnvelope,
  EventTypes,
  roomOf,
  Streams,
  traceIdOf,
  type CommandAcknowledgedV1,
  type CommandIssuedV1,
  type DeliveredCommand,
  type Envelope,
} from '@gad/contracts';
import { redisClientFromUrl } from '@gad/platform';
import {
  deleteKeysWithPrefix,
  startRedisCluster,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type RedisClusterHandle,
} from '@gad/testing';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { CommandChannelSubscriber } from '../src/commands/command-channel.subscriber';
import { CommandLogRepository } from '../src/commands/command-log.repository';
import { CommandsService } from '../src/commands/commands.service';
import { ConsoleFeedRepository } from '../src/fanout/console-feed.repository';
import { FanoutService } from '../src/fanout/fanout.service';
import type { OwnershipRepository } from '../src/ownership/ownership.repository';
import { NamespacesRegistry } from '../src/realtime/namespaces.registry';
import { WsRedisKeys } from '../src/realtime/redis-keys';
import type { AuthedSocket } from '../src/realtime/socket-auth';
import { WsException } from '../src/realtime/ws.exception';
import type { WsGatewayConfig } from '../src/ws-gateway.config';

jest.setTimeout(60_000);

const retention = { maxLen: 100, maxAgeMs: 600_000 };
let cluster: RedisClusterHandle | undefined;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface Instance {
  http: HttpServer;
  io: Server;
  url: string;
  redis: Redis;
  bus: BusClient;
  commands: CommandsService;
  subscriber: CommandChannelSubscriber;
}

interface Device {
  socket: Socket;
  commands: DeliveredCommand[];
  /** The server side of the socket (to call the service as the field gateway does). */
  server: () => AuthedSocket;
}

/** One gateway instance's command path: its own connections, socket.io server and subscriber. */
async function startInstance(redisUrl: string, prefix: string): Promise<Instance> {
  const redis = redisClientFromUrl(redisUrl);
  redis.on('error', () => undefined);
  const keys = new WsRedisKeys(prefix);
  const config = {
    REDIS_KEY_PREFIX: prefix,
    WS_COMMAND_LOG_MAX_LEN: retention.maxLen,
    WS_COMMAND_LOG_MAX_AGE_S: retention.maxAgeMs / 1000,
    WS_FEED_MAX_LEN: 1_000,
    WS_FEED_TTL_S: 600,
  } as WsGatewayConfig;
  const namespaces = new NamespacesRegistry();
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  namespaces.field = io.of('/field');
  namespaces.dispatch = io.of('/dispatch');
  // The handshake of this test: `auth.user` is the socket's identity (the real one verifies a JWT).
  namespaces.field.on('connection', (socket) => {
    socket.data = { user: socket.handshake.auth['user'] };
    const { user } = socket.data as AuthedSocket['data'];
    void socket.join([
      roomOf.unit(user.agencyId, user.unitId ?? ''),
      roomOf.user(user.agencyId, user.sub),
    ]);
  });
  const bus = new BusClient({
    redis: () => redisClientFromUrl(redisUrl),
    prefix,
    instanceId: randomUUID(),
  });
  const fanout = new FanoutService(
    namespaces,
    {} as OwnershipRepository,
    new ConsoleFeedRepository(redis, config),
  );
  const commands = new CommandsService(
    config,
    new CommandLogRepository(redis, keys),
    namespaces,
    bus,
    fanout,
  );
  const subscriber = new CommandChannelSubscriber(redis, keys, commands);
  await subscriber.onApplicationBootstrap();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { http, io, url, redis, bus, commands, subscriber };
}

async function stopInstance(instance: Instance): Promise<void> {
  await instance.subscriber.onApplicationShutdown();
  await new Promise((resolve) => instance.io.close(resolve));
  await instance.bus.onApplicationShutdown();
  await instance.redis.quit().catch(() => undefined);
}

async function device(
  instance: Instance,
  user: { agencyId: string; sub: string; unitId: string },
): Promise<Device> {
  const socket = connect(`${instance.url}/field`, {
    auth: { user: { ...user, roles: ['officer'] } },
    transports: ['websocket'],
    forceNew: true,
  });
  const commands: DeliveredCommand[] = [];
  socket.on('command', (command: DeliveredCommand) => commands.push(command));
  await waitFor(() => socket.connected, { description: 'device connected' });
  const room = roomOf.user(user.agencyId, user.sub);
  // Joined once its rooms exist on the server (the join above is asynchronous).
  await waitFor(() => instance.io.of('/field').adapter.rooms.has(room), {
    description: 'device in its rooms',
  });
  return {
    socket,
    commands,
    server: () =>
      instance.io
        .of('/field')
        .sockets.get(
          [...(instance.io.of('/field').adapter.rooms.get(room) ?? [])][0],
        ) as unknown as AuthedSocket,
  };
}

function commandTo(
  agencyId: string,
  unitId: string,
  title: string,
  extra: Partial<CommandIssuedV1> = {},
): Envelope<CommandIssuedV1> {
  return createEnvelope<CommandIssuedV1>({
    type: EventTypes.CommandIssued,
    agencyId,
    actor: { kind: 'service', id: 'notification-service' },
    traceparent: TRACEPARENT,
    data: {
      commandId: randomUUID(),
      recipient: { kind: 'unit', id: unitId },
      kind: 'dispatch',
      critical: true,
      title,
      body: `${title} | body`,
      locale: 'en',
      issuedAt: new Date().toISOString(),
      ...extra,
    },
  });
}

describe.each([
  ['a standalone Redis', () => Promise.resolve(testStack.redisUrl)],
  ['a Redis Cluster', async () => (cluster = await startRedisCluster()).url],
])('the command path on %s', (_name, redisUrlOf) => {
  const prefix = `${uniqueRedisPrefix()}`;
  const agencyId = `agency-${Date.now().toString(36)}`;
  let redisUrl: string;
  let producer: Redis;
  let a: Instance;
  let b: Instance;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redisUrl = await redisUrlOf();
    producer = redisClientFromUrl(redisUrl);
    producer.on('error', () => undefined);
    [a, b] = await Promise.all([startInstance(redisUrl, prefix), startInstance(redisUrl, prefix)]);
  }, 120_000);

  afterAll(async () => {
    sockets.forEach((socket) => socket.disconnect());
    await Promise.all([a, b].filter(Boolean).map(stopInstance));
    if (!cluster) {
      await deleteKeysWithPrefix(producer, prefix);
    }
    await producer?.quit().catch(() => undefined);
    await cluster?.stop();
    cluster = undefined;
  }, 60_000);

  it('appends and publishes in one call: devices on both instances get each command once, with its seq and trace', async () => {
    const unitId = `unit-1-${randomUUID().slice(0, 8)}`;
    const onA = await device(a, { agencyId, sub: `officer-a-${unitId}`, unitId });
    const onB = await device(b, { agencyId, sub: `officer-b-${unitId}`, unitId });
    sockets.push(onA.socket, onB.socket);
    const relay = new CommandRelay(producer, { prefix, ...retention });
    const first = commandTo(agencyId, unitId, 'first');
    const second = commandTo(agencyId, unitId, 'second');
    expect(await relay.relay([first, second])).toEqual([
      { commandId: first.data.commandId, seq: 1, inserted: true },
      { commandId: second.data.commandId, seq: 2, inserted: true },
    ]);
    // A retried relay (the outbox marked nothing sent) keeps the seq and publishes nothing.
    expect(await relay.relay([first])).toEqual([
      { commandId: first.data.commandId, seq: 1, inserted: false },
    ]);
    const third = commandTo(agencyId, unitId, 'third');
    await relay.relay([third]);
    for (const dev of [onA, onB]) {
      await waitFor(() => dev.commands.length === 3, { description: 'three commands' });
      expect(dev.commands).toEqual(
        [first, second, third].map((envelope, i) => ({
          ...envelope.data,
          traceparent: TRACEPARENT,
          seq: i + 1,
        })),
      );
    }
  });

  it('commands to one unit from two producers at once reach its device in issue order', async () => {
    const unitId = `unit-2-${randomUUID().slice(0, 8)}`;
    const dev = await device(b, { agencyId, sub: `officer-${unitId}`, unitId });
    sockets.push(dev.socket);
    // Two notification-service instances, each with its own connection, issuing at once.
    const producers = [0, 1].map(() => {
      const redis = redisClientFromUrl(redisUrl);
      redis.on('error', () => undefined);
      return { redis, relay: new CommandRelay(redis, { prefix, ...retention }) };
    });
    const issued: string[][] = [[], []];
    try {
      await Promise.all(
        producers.map(async ({ relay }, p) => {
          for (let i = 1; i <= 15; i += 1) {
            const envelope = commandTo(agencyId, unitId, `p${p} ${i}`);
            issued[p].push(envelope.data.commandId);
            await relay.relay([envelope]);
          }
        }),
      );
    } finally {
      await Promise.all(producers.map(({ redis }) => redis.quit().catch(() => undefined)));
    }
    await waitFor(() => dev.commands.length === 30, { description: 'thirty commands' });
    // Arrival order is seq order, gap-free, and each producer's commands keep its issue order.
    expect(dev.commands.map((command) => command.seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const arrived = dev.commands.map((command) => command.commandId);
    for (const own of issued) {
      expect(arrived.filter((id) => own.includes(id))).toEqual(own);
    }
  });

  it("accepts an ack only from the command's recipient, with its assignment, in the command's trace", async () => {
    const unitId = `unit-3-${randomUUID().slice(0, 8)}`;
    const dev = await device(a, { agencyId, sub: `officer-${unitId}`, unitId });
    const stranger = await device(b, {
      agencyId,
      sub: `officer-other-${unitId}`,
      unitId: `${unitId}-other`,
    });
    sockets.push(dev.socket, stranger.socket);
    const consoleSocket = connect(`${a.url}/dispatch`, {
      transports: ['websocket'],
      forceNew: true,
    });
    sockets.push(consoleSocket);
    await waitFor(() => consoleSocket.connected, { description: 'console connected' });
    await waitFor(() => a.io.of('/dispatch').sockets.size > 0, { description: 'console on A' });
    for (const socket of a.io.of('/dispatch').sockets.values()) {
      await socket.join(roomOf.agency(agencyId));
    }
    const fed: CommandAcknowledgedV1[] = [];
    consoleSocket.on(EventTypes.CommandAcknowledged, (event: Envelope<CommandAcknowledgedV1>) =>
      fed.push(event.data),
    );
    const assignmentId = randomUUID();
    const incidentId = randomUUID();
    const command = commandTo(agencyId, unitId, 'go', { assignmentId, incidentId });
    await new CommandRelay(producer, { prefix, ...retention }).relay([command]);
    await waitFor(() => dev.commands.length === 1, { description: 'the command on the device' });
    const acks = async () =>
      (
        await producer.xrange(
          new StreamKeys(prefix, isClusterConnection(redisUrl)).stream(Streams.FieldAcks),
          '-',
          '+',
        )
      )
        .map(([, fields]) => JSON.parse(fields[1]) as Envelope<CommandAcknowledgedV1>)
        .filter((envelope) => envelope.data.commandId === command.data.commandId);

    // Another unit's device cannot acknowledge it: refused, nothing published.
    await expect(
      b.commands.acknowledge(stranger.server(), {
        commandId: command.data.commandId,
        stage: 'accepted',
      }),
    ).rejects.toBeInstanceOf(WsException);
    expect(await acks()).toEqual([]);

    await a.commands.acknowledge(dev.server(), {
      commandId: command.data.commandId,
      stage: 'accepted',
      traceparent: dev.commands[0].traceparent,
    });
    const [ack] = await acks();
    expect(ack.data).toMatchObject({
      commandId: command.data.commandId,
      stage: 'accepted',
      userId: `officer-${unitId}`,
      unitId,
      assignmentId,
      incidentId,
    });
    // The ack's span is a child of the dispatcher's (the traceparent the command carried), and
    // its envelope carries that trace on to the consumers.
    const span = exporter
      .getFinishedSpans()
      .find(
        (each) =>
          each.name === 'command.ack' &&
          each.attributes['gad.command_id'] === command.data.commandId &&
          each.status.code !== SpanStatusCode.ERROR,
      );
    expect(span?.spanContext().traceId).toBe(traceIdOf(TRACEPARENT));
    expect(span?.parentSpanContext?.spanId).toBe(TRACEPARENT.split('-')[2]);
    expect(traceIdOf(ack.traceparent)).toBe(traceIdOf(TRACEPARENT));
    // The console got it from this instance, with the command's references.
    await waitFor(() => fed.length === 1, { description: 'the ack on the console' });
    expect(fed[0]).toMatchObject({ commandId: command.data.commandId, assignmentId, incidentId });
  });
});
