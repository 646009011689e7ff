import { commandIssued, connected, relayCommand } from './support/commands';
import { randomUUID } from 'node:crypto';
import { connectField, type FieldConnection } from '@gad/client';
import {
  createEnvelope,
  EventTypes,
  Streams,
  type DeliveredCommand,
  type IncidentCreatedV1,
} from '@gad/contracts';
import {
  createTestKeyPair,
  signTestAccessToken,
  startRedisServer,
  startServiceProcess,
  waitFor,
  type RedisServerHandle,
  type ServiceProcess,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';

/**
 * ws-gateway instances dying or freezing, on a private redis-server (this file stops it): commands
 * issued while an instance is killed (kill -9) or frozen (SIGSTOP) reach their devices on the
 * live instances in order, the frozen one within 2 s (docs/adr/0020: no consumer group between
 * the producer and the sockets), dead instances' consumers leave the event groups, and a Redis
 * outage leaves no unhandled ioredis error and the gateways recover.
 */
describe('ws-gateway failover (processes, private Redis)', () => {
  /** A command issued while an instance is frozen reaches a device on a live one within 2 s. */
  const DELIVERY_BOUND_MS = 2_000;
  const OUTAGE_MS = 5_000;
  const run = Date.now().toString(36);
  const agencyId = `agency-f-${run}`;
  const group = 'ws-gateway';
  const keys = createTestKeyPair();
  let redisServer: RedisServerHandle;
  let redis: Redis;
  const services = new Map<string, ServiceProcess>();
  const opened: { close(): void }[] = [];

  const env = () => ({
    REDIS_URL: redisServer.url,
    JWT_PUBLIC_KEY: keys.publicKeyPem,
  });

  async function start(instanceId: string): Promise<ServiceProcess> {
    const service = await startServiceProcess({
      app: 'ws-gateway',
      env: { ...env(), INSTANCE_ID: instanceId },
    });
    services.set(instanceId, service);
    return service;
  }

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
  }, 30_000);

  afterAll(async () => {
    opened.forEach((socket) => socket.close());
    for (const service of services.values()) {
      try {
        process.kill(service.pid, 'SIGCONT');
      } catch {
        // exited already
      }
    }
    await Promise.all([...services.values()].map((service) => service.stop()));
    redis?.disconnect();
    await redisServer?.dispose();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of services.values()) {
        console.log(service.tail(40));
      }
    }
  });

  function token(userId: string, roles: string[], unitId?: string): Promise<string> {
    return signTestAccessToken(keys, { userId, agencyId, roles, unitId });
  }

  async function device(url: string, unitId: string) {
    const commands: DeliveredCommand[] = [];
    const arrivedAt = new Map<string, number>();
    const connection: FieldConnection = connectField({
      url,
      token: await token(`officer-${unitId}`, ['officer'], unitId),
      transports: ['websocket'],
      onCommand: (command) => {
        commands.push(command);
        arrivedAt.set(command.commandId, Date.now());
      },
    });
    opened.push(connection);
    await connected(connection.socket as unknown as Socket);
    return { connection, commands, arrivedAt };
  }

  async function issue(unitId: string, title: string): Promise<string> {
    const envelope = commandIssued(agencyId, { kind: 'unit', id: unitId }, title, {
      critical: false,
    });
    await relayCommand(redis, '', envelope);
    return envelope.data.commandId;
  }

  /** Consumers of the group on a stream (name → pending entries). */
  async function consumers(stream: string): Promise<Map<string, number>> {
    const reply = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[][];
    return new Map(
      reply.map((flat) => {
        const info = new Map<string, unknown>();
        for (let i = 0; i + 1 < flat.length; i += 2) {
          info.set(String(flat[i]), flat[i + 1]);
        }
        return [String(info.get('name')), Number(info.get('pending'))];
      }),
    );
  }

  /** An event on `gad:dispatch:events` (a console-feed event every instance's group reads). */
  async function publishEvent(): Promise<void> {
    const envelope = createEnvelope({
      type: EventTypes.IncidentCreated,
      agencyId,
      actor: { kind: 'user', id: `dispatcher-${run}` },
      data: {
        incidentId: randomUUID(),
        type: 'fire',
        priority: 'P2',
        status: 'new',
        location: { type: 'Point', coordinates: [-3.7, 40.4] },
        createdAt: new Date().toISOString(),
      },
    });
    await redis.xadd(Streams.DispatchEvents, '*', 'envelope', JSON.stringify(envelope));
  }

  it('commands issued after an instance was killed (kill -9) reach the device on the survivor, in order', async () => {
    const a = await start(`ws-a-${run}`);
    const b = await start(`ws-b-${run}`);
    const unitId = `unit-kill-${run}`;
    const dev = await device(b.url, unitId);
    const issued = [await issue(unitId, 'cmd 1')];
    await a.kill();
    for (let i = 2; i <= 4; i += 1) {
      issued.push(await issue(unitId, `cmd ${i}`));
    }
    await waitFor(() => issued.every((commandId) => dev.arrivedAt.has(commandId)), {
      description: 'every command issued',
    });
    expect(dev.commands.map((command) => command.commandId)).toEqual(issued);
    expect(dev.commands.map((command) => command.seq)).toEqual([1, 2, 3, 4]);
  }, 90_000);

  it(`a command issued while another instance is frozen (SIGSTOP) reaches the device on the live one within ${DELIVERY_BOUND_MS} ms`, async () => {
    // No consumer group between the producer and the sockets (docs/adr/0020): every instance gets
    // each command from the channel, so a frozen one holds nothing the live one waits for.
    const c = await start(`ws-c-${run}`);
    const b = services.get(`ws-b-${run}`) as ServiceProcess;
    const unitId = `unit-freeze-${run}`;
    const dev = await device(b.url, unitId);
    const onFrozen = await device(c.url, `unit-frozen-${run}`);
    process.kill(c.pid, 'SIGSTOP');
    const issued: string[] = [];
    try {
      for (let i = 1; i <= 3; i += 1) {
        const issuedAt = Date.now();
        const commandId = await issue(unitId, `cmd ${i}`);
        issued.push(commandId);
        await waitFor(() => dev.arrivedAt.has(commandId), {
          description: `command ${i} within ${DELIVERY_BOUND_MS} ms while an instance is frozen`,
          timeoutMs: DELIVERY_BOUND_MS,
          intervalMs: 20,
        });
        expect((dev.arrivedAt.get(commandId) ?? Infinity) - issuedAt).toBeLessThanOrEqual(
          DELIVERY_BOUND_MS,
        );
      }
    } finally {
      process.kill(c.pid, 'SIGCONT');
    }
    expect(dev.commands.map((command) => command.commandId)).toEqual(issued);
    expect(dev.commands.map((command) => command.seq)).toEqual([1, 2, 3]);
    // The frozen instance's own device gets its command once the instance thaws.
    const late = await issue(`unit-frozen-${run}`, 'after the thaw');
    await waitFor(() => onFrozen.arrivedAt.has(late), { description: 'the thawed instance works' });
  }, 90_000);

  it('retires the consumers of dead instances: after restarts the group holds only live ones', async () => {
    const retired: string[] = [];
    /** Events until the instance has a consumer in the group (Redis creates it on a delivery). */
    const consume = async (instanceId: string) => {
      await waitFor(
        async () => {
          const names = [...(await consumers(Streams.DispatchEvents)).keys()];
          const name = names.find((candidate) => candidate.startsWith(instanceId));
          if (name) {
            retired.push(name);
            return true;
          }
          await publishEvent();
          return false;
        },
        { description: `${instanceId} consumed an event`, intervalMs: 100 },
      );
    };
    if (!services.get(`ws-b-${run}`) || services.get(`ws-b-${run}`)?.exit) {
      await start(`ws-b-${run}`);
    }
    // Instances restarted gracefully (SIGTERM) and killed outright (kill -9); two stay up.
    for (const suffix of ['c', 'd', 'e', 'k']) {
      const instanceId = `ws-${suffix}-${run}`;
      const service = services.get(instanceId) ?? (await start(instanceId));
      await consume(instanceId);
      await (suffix === 'k' ? service.kill() : service.stop('SIGTERM'));
    }
    await start(`ws-f-${run}`);
    const live = [...services]
      .filter(([, service]) => service.exit === undefined)
      .map(([instanceId]) => instanceId);
    expect(retired).toHaveLength(4);
    for (const stream of [Streams.DispatchEvents, Streams.GeoEvents]) {
      let names: string[] = [];
      await waitFor(
        async () => {
          names = [...(await consumers(stream)).keys()];
          return names.every((name) => live.some((instanceId) => name.startsWith(instanceId)));
        },
        { description: `only the live instances' consumers on ${stream}`, timeoutMs: 10_000 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; consumers: ${names.join(', ')}`);
      });
    }
  }, 120_000);

  it('rides out a Redis outage without an unhandled ioredis error, and recovers', async () => {
    await start(`ws-g-${run}`);
    const survivors = [...services.values()].filter((service) => service.exit === undefined);
    const since = new Map(survivors.map((service) => [service, service.logs.at(-1)?.seq ?? -1]));
    await redisServer.stop();
    for (const service of survivors) {
      await service.waitForLog(
        (line) => /redis|stream reads/i.test(line.text) && /fail/i.test(line.text),
        {
          description: `${service.name} noticed the outage`,
          since: (since.get(service) ?? -1) + 1,
        },
      );
    }
    // The outage lasts a while, like a real one: every connection fails to reconnect a few times.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await redisServer.start();
    await waitFor(
      async () => {
        const answers = await Promise.all(
          survivors.map((service) => fetch(`${service.url}/health/ready`).then((r) => r.status)),
        );
        return answers.every((status) => status === 200);
      },
      { description: 'every gateway ready again', timeoutMs: 20_000 },
    );
    // Working again: a console gets an event published after the outage.
    const consoleSocket = io(`${survivors[0].url}/dispatch`, {
      auth: { token: await token(`dispatcher-${run}`, ['dispatcher']) },
      transports: ['websocket'],
      forceNew: true,
    });
    opened.push({ close: () => consoleSocket.disconnect() });
    await connected(consoleSocket);
    const seen: string[] = [];
    consoleSocket.on('incident.created', (event: { data: IncidentCreatedV1 }) =>
      seen.push(event.data.incidentId),
    );
    const incidentId = randomUUID();
    await waitFor(
      async () => {
        if (seen.includes(incidentId)) {
          return true;
        }
        const envelope = createEnvelope({
          type: EventTypes.IncidentCreated,
          agencyId,
          actor: { kind: 'user', id: `dispatcher-${run}` },
          data: {
            incidentId,
            type: 'fire',
            priority: 'P2',
            status: 'new',
            location: { type: 'Point', coordinates: [-3.7, 40.4] },
            createdAt: new Date().toISOString(),
          },
        });
        await redis.xadd(Streams.DispatchEvents, '*', 'envelope', JSON.stringify(envelope));
        return false;
      },
      { description: 'an event reaches a console after the outage', intervalMs: 1_000 },
    );
    for (const service of survivors) {
      const unhandled = service.logs
        .filter((line) => line.seq > (since.get(service) ?? -1))
        .filter((line) => line.text.includes('Unhandled error event'));
      expect(unhandled.map((line) => line.text)).toEqual([]);
    }
  }, 90_000);
});
