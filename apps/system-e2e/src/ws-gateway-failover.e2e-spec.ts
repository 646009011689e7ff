import { commandIssued, connected } from './support/commands';
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
 * ws-gateway instances dying under a command stream, on a private redis-server (this file stops
 * it): a command that a killed (kill -9) or frozen (SIGSTOP) instance had read and not
 * acknowledged reaches its device, connected to a surviving instance, within the bound the README
 * states (3 s with the default heartbeat), dead instances' consumers leave the group, and a Redis
 * outage leaves no unhandled ioredis error and the gateways recover.
 */
describe('ws-gateway failover (processes, private Redis)', () => {
  /** The README's bound: a command held by an instance that died reaches its device within 3 s. */
  const FAILOVER_BOUND_MS = 3_000;
  const OUTAGE_MS = 5_000;
  const run = Date.now().toString(36);
  const agencyId = `agency-f-${run}`;
  const group = 'ws-gateway';
  const commandStream = Streams.NotifyOutbound;
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
    await redis.xadd(commandStream, '*', 'envelope', JSON.stringify(envelope));
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

  /** Entries of the command stream pending for the consumer(s) of `instanceId`. */
  async function pendingOf(instanceId: string): Promise<number> {
    let count = 0;
    for (const [name, pending] of await consumers(commandStream)) {
      if (name.startsWith(instanceId)) {
        count += pending;
      }
    }
    return count;
  }

  /** True once the instance's blocking stream read is parked in Redis. */
  async function blockedReading(instanceId: string): Promise<boolean> {
    const list = String(await redis.call('CLIENT', 'LIST'));
    return list
      .split('\n')
      .some(
        (line) =>
          line.includes(`name=bus:${group}:${instanceId}`) &&
          line.includes(':read ') &&
          / flags=b /.test(line),
      );
  }

  /**
   * Freezes `victim` (SIGSTOP) so that it holds a command of `unitId` it read and never
   * acknowledges: the group hands an entry to one blocked reader, so commands are issued while
   * the victim's read is parked until one is pending for it. Returns that command's id and when it
   * was issued; the others reach the device through the survivor.
   */
  async function freezeHolding(
    victim: { id: string; service: ServiceProcess },
    unitId: string,
    issued: string[],
  ): Promise<{ commandId: string; issuedAt: number }> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await waitFor(() => blockedReading(victim.id), { description: `${victim.id} reading` });
      process.kill(victim.service.pid, 'SIGSTOP');
      for (let i = 0; i < 2; i += 1) {
        const issuedAt = Date.now();
        const commandId = await issue(unitId, `cmd ${issued.length + 1}`);
        issued.push(commandId);
        if ((await pendingOf(victim.id)) > 0) {
          return { commandId, issuedAt };
        }
      }
      process.kill(victim.service.pid, 'SIGCONT');
    }
    throw new Error(`${victim.id} never held a command`);
  }

  it('a command held by a killed instance (kill -9) reaches the device on the survivor within the bound', async () => {
    const a = { id: `ws-a-${run}`, service: await start(`ws-a-${run}`) };
    const b = { id: `ws-b-${run}`, service: await start(`ws-b-${run}`) };
    const unitId = `unit-kill-${run}`;
    const dev = await device(b.service.url, unitId);
    const issued: string[] = [];
    const held = await freezeHolding(a, unitId, issued);
    await a.service.kill();
    const killedAt = Date.now();
    await waitFor(() => dev.arrivedAt.has(held.commandId), {
      description: `the command held by the killed instance within ${FAILOVER_BOUND_MS} ms`,
      timeoutMs: FAILOVER_BOUND_MS,
      intervalMs: 20,
    });
    expect((dev.arrivedAt.get(held.commandId) ?? Infinity) - killedAt).toBeLessThanOrEqual(
      FAILOVER_BOUND_MS,
    );
    await waitFor(() => issued.every((commandId) => dev.arrivedAt.has(commandId)), {
      description: 'every command issued',
    });
    // Each command once, in seq order.
    expect(dev.commands.map((command) => command.seq)).toEqual(issued.map((_, i) => i + 1));
    expect(dev.commands.map((command) => command.commandId).sort()).toEqual([...issued].sort());
  }, 90_000);

  it('a command held by a frozen instance (SIGSTOP) reaches the device on the survivor within the bound', async () => {
    const c = { id: `ws-c-${run}`, service: await start(`ws-c-${run}`) };
    const b = services.get(`ws-b-${run}`) as ServiceProcess;
    const unitId = `unit-freeze-${run}`;
    const dev = await device(b.url, unitId);
    const issued: string[] = [];
    const held = await freezeHolding(c, unitId, issued);
    try {
      await waitFor(() => dev.arrivedAt.has(held.commandId), {
        description: `the command held by the frozen instance within ${FAILOVER_BOUND_MS} ms`,
        timeoutMs: FAILOVER_BOUND_MS,
        intervalMs: 20,
      });
      expect((dev.arrivedAt.get(held.commandId) ?? Infinity) - held.issuedAt).toBeLessThanOrEqual(
        FAILOVER_BOUND_MS,
      );
    } finally {
      process.kill(c.service.pid, 'SIGCONT');
    }
    // The thawed instance finishes its stale copy: same seq, the device keeps one.
    await waitFor(() => issued.every((commandId) => dev.arrivedAt.has(commandId)), {
      description: 'every command issued',
    });
    await c.service.waitForLog(
      (line) =>
        line.json?.['msg'] === 'command emitted' && line.json['commandId'] === held.commandId,
      { description: 'the thawed instance emitted its stale copy', timeoutMs: 15_000 },
    );
    expect(dev.commands.map((command) => command.seq)).toEqual(issued.map((_, i) => i + 1));
  }, 90_000);

  it('retires the consumers of dead instances: after restarts the group holds only live ones', async () => {
    const retired: string[] = [];
    /** Commands until the instance has a consumer in the group (Redis creates it on a delivery). */
    const consume = async (instanceId: string) => {
      await waitFor(
        async () => {
          const names = [...(await consumers(commandStream)).keys()];
          const name = names.find((candidate) => candidate.startsWith(instanceId));
          if (name) {
            retired.push(name);
            return true;
          }
          await issue(`unit-retire-${run}`, 'retire');
          return false;
        },
        { description: `${instanceId} consumed a command`, intervalMs: 100 },
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
    for (const stream of [Streams.DispatchEvents, Streams.GeoEvents, Streams.NotifyOutbound]) {
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
