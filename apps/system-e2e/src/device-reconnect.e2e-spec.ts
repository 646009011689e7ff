import { commandIssued, relayCommand } from './support/commands';
import {
  connectDispatch,
  connectField,
  GadProblemError,
  type ConnectionState,
  type DispatchSocket,
  type FieldConnection,
  type ReconnectOptions,
} from '@gad/client';
import {
  createEnvelope,
  EventTypes,
  Streams,
  type DeliveredCommand,
  type Role,
  type ServerNotice,
} from '@gad/contracts';
import {
  createTestKeyPair,
  freePort,
  signTestAccessToken,
  startRedisServer,
  startServiceProcess,
  uniqueRedisPrefix,
  waitFor,
  type RedisServerHandle,
  type ServiceProcess,
} from '@gad/testing';
import { Redis } from 'ioredis';

/**
 * Field devices come back, whatever took them down ("Devices that never come back", issue 17):
 * one ws-gateway process on a fixed port over a private redis-server (so Redis can be restarted),
 * devices through `connectField`/`connectDispatch` of @gad/client with a token function that
 * signs short-lived access tokens (the api-gateway's tokens live at least 30 s; the gateway only
 * verifies the signature and the expiry) and can be made to fail like a throttled login.
 */
describe('devices reconnect (@gad/client against a real ws-gateway)', () => {
  const prefix = uniqueRedisPrefix();
  const run = Date.now().toString(36);
  const agencyId = `agency-rc-${run}`;
  const keys = createTestKeyPair();
  let redisServer: RedisServerHandle;
  let redis: Redis;
  let gateway: ServiceProcess;
  let port: number;
  const opened: { close(): void }[] = [];
  const everyDevice: Device[] = [];

  /** The token endpoint as the devices see it: failing (429) while `down`, tokens of `lifetimeS`. */
  const tokens = { down: false, lifetimeS: 600, issued: 0, refused: 0 };

  const startGateway = () =>
    startServiceProcess({
      app: 'ws-gateway',
      port,
      env: {
        REDIS_URL: redisServer.url,
        REDIS_KEY_PREFIX: prefix,
        JWT_PUBLIC_KEY: keys.publicKeyPem,
        // One socket per user (a device): after a crash, the dead instance's sockets keep
        // counting for three heartbeats (6 s), so reconnections are refused `too_many_sockets`.
        WS_MAX_SOCKETS_PER_USER: '1',
        WS_INSTANCE_HEARTBEAT_MS: '2000',
        WS_RECONNECT_JITTER_MS: '500',
        INSTANCE_ID: `ws-rc-${run}`,
      },
    });

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    port = await freePort();
    gateway = await startGateway();
  }, 60_000);

  afterAll(async () => {
    opened.forEach((socket) => socket.close());
    await gateway?.stop();
    redis?.disconnect();
    await redisServer?.dispose();
  }, 30_000);

  beforeEach(() => {
    tokens.down = false;
    tokens.lifetimeS = 600;
  });

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      const refused = everyDevice.map((each) => `${each.unitId}: ${each.refusals.join(', ')}`);
      console.log(gateway.tail(40), `\nrefused handshakes:\n${refused.join('\n')}`);
    }
  });

  const url = () => `http://127.0.0.1:${port}`;

  function sign(
    userId: string,
    roles: Role[],
    unitId?: string,
    lifetimeS = tokens.lifetimeS,
  ): Promise<string> {
    return signTestAccessToken(keys, { userId, agencyId, roles, unitId, expiresInS: lifetimeS });
  }

  /** Like a login through `@gad/client`: a 429 problem while the endpoint is down. */
  function tokenFunction(userId: string, roles: Role[], unitId?: string, lifetimeS?: number) {
    return async (): Promise<string> => {
      if (tokens.down) {
        tokens.refused += 1;
        throw new GadProblemError(
          {
            type: 'urn:gad:problem:rate_limited',
            title: 'rate limited',
            status: 429,
            code: 'rate_limited',
            detail: 'too many logins from this address',
          },
          1_000,
        );
      }
      tokens.issued += 1;
      return sign(userId, roles, unitId, lifetimeS);
    };
  }

  interface Device {
    unitId: string;
    connection: FieldConnection;
    commands: DeliveredCommand[];
    notices: ServerNotice[];
    /** Codes of refused handshakes (`connect_error.data.code`). */
    refusals: string[];
    /** Every state the client reported. */
    states: ConnectionState[];
    /** Calls of its token function. */
    readonly tokenCalls: number;
  }

  function device(
    name: string,
    options: { token?: () => Promise<string>; reconnect?: ReconnectOptions } = {},
  ): Device {
    const unitId = `unit-${name}-${run}`;
    const commands: DeliveredCommand[] = [];
    const notices: ServerNotice[] = [];
    const states: ConnectionState[] = [];
    const token = options.token ?? tokenFunction(`officer-${name}-${run}`, ['officer'], unitId);
    const counter = { calls: 0 };
    const connection = connectField({
      url: url(),
      token: () => {
        counter.calls += 1;
        return token();
      },
      transports: ['websocket'],
      reconnect: options.reconnect,
      onCommand: (command) => commands.push(command),
      onState: (state) => states.push(state),
    });
    const refusals: string[] = [];
    connection.socket.on('notice', (notice) => notices.push(notice));
    connection.socket.on('connect_error', (error: Error & { data?: { code?: string } }) =>
      refusals.push(error.data?.code ?? error.message),
    );
    opened.push(connection);
    const created: Device = {
      unitId,
      connection,
      commands,
      notices,
      refusals,
      states,
      get tokenCalls() {
        return counter.calls;
      },
    };
    everyDevice.push(created);
    return created;
  }

  function fleet(name: string, size: number): Device[] {
    return Array.from({ length: size }, (_, i) => device(`${name}-${i + 1}`));
  }

  const allConnected = (devices: Device[]) =>
    devices.every((each) => each.connection.socket.connected);

  async function issue(unitId: string, title: string): Promise<string> {
    const envelope = commandIssued(agencyId, { kind: 'unit', id: unitId }, title);
    await relayCommand(redis, prefix, envelope);
    return envelope.data.commandId;
  }

  /** Every device gets a new command (and so is really back, not only "connected"). */
  async function commandReachesEach(devices: Device[], title: string): Promise<void> {
    const sent = await Promise.all(devices.map((each) => issue(each.unitId, title)));
    await waitFor(
      () =>
        devices.every((each, i) => each.commands.some((command) => command.commandId === sent[i])),
      {
        description: `"${title}" delivered to all ${devices.length} devices`,
        timeoutMs: 15_000,
      },
    );
  }

  it('every device reconnects after its token expired while the token endpoint was failing, and gets commands', async () => {
    tokens.lifetimeS = 5;
    const devices = fleet('expiry', 5);
    await waitFor(() => allConnected(devices), { description: 'five devices connected' });
    await commandReachesEach(devices, 'before expiry');

    tokens.down = true;
    const refusedBefore = tokens.refused;
    await waitFor(() => devices.every((each) => !each.connection.socket.connected), {
      description: 'every device dropped at its token expiry',
      timeoutMs: 15_000,
    });
    expect(devices.every((each) => each.notices.some((n) => n.code === 'token_expired'))).toBe(
      true,
    );
    // Logins keep failing for a while: every device asks again (and backs off), none gets in.
    await waitFor(() => tokens.refused >= refusedBefore + 2 * devices.length, {
      description: 'every device asked the failing token endpoint again',
      timeoutMs: 20_000,
    });
    expect(devices.some((each) => each.connection.socket.connected)).toBe(false);

    tokens.lifetimeS = 600;
    tokens.down = false;
    await waitFor(() => allConnected(devices), {
      description: 'every device back once logins work again',
      timeoutMs: 20_000,
    });
    await commandReachesEach(devices, 'after recovery');
    // No handshake went out without a token (or with the expired one): nothing was refused.
    expect(devices.flatMap((each) => each.refusals)).toEqual([]);
    for (const each of devices) {
      const down = each.states.filter((state) => state.status === 'down');
      expect(down[0]).toMatchObject({ reason: 'token_expired' });
      expect(down.slice(1)).toContainEqual(
        expect.objectContaining({ reason: 'token_unavailable', retryInMs: expect.any(Number) }),
      );
      expect(each.connection.state).toEqual({ status: 'connected' });
    }
  }, 60_000);

  it('a /field socket expiring does not drop the /dispatch socket of the same process', async () => {
    tokens.lifetimeS = 4;
    const officer = device('shared');
    const dispatcher: DispatchSocket = connectDispatch({
      url: url(),
      token: tokenFunction(`dispatcher-shared-${run}`, ['dispatcher'], undefined, 600),
      transports: ['websocket'],
    });
    opened.push({ close: () => dispatcher.disconnect() });
    const consoleDrops: string[] = [];
    dispatcher.on('disconnect', (reason) => consoleDrops.push(reason));
    await waitFor(() => officer.connection.socket.connected && dispatcher.connected, {
      description: 'device and console connected',
    });
    tokens.lifetimeS = 600;

    await waitFor(() => officer.notices.some((notice) => notice.code === 'token_expired'), {
      description: "the device's token expiry",
      timeoutMs: 10_000,
    });
    await waitFor(() => officer.connection.socket.connected, {
      description: 'the device back with a new token',
      timeoutMs: 15_000,
    });
    await commandReachesEach([officer], 'after the device expiry');
    expect(consoleDrops).toEqual([]);
    expect(dispatcher.connected).toBe(true);
  }, 60_000);

  it('every device reconnects after its ws-gateway crashes and restarts (refused until the dead sockets stop counting)', async () => {
    const devices = fleet('restart', 5);
    await waitFor(() => allConnected(devices), { description: 'five devices connected' });

    await gateway.kill();
    await waitFor(() => devices.every((each) => !each.connection.socket.connected), {
      description: 'every device dropped by the crashed gateway',
    });
    gateway = await startGateway();

    await waitFor(() => allConnected(devices), {
      description: 'every device back on the restarted gateway',
      timeoutMs: 20_000,
    });
    await commandReachesEach(devices, 'after the restart');
  }, 60_000);

  it('every device reconnects after Redis restarts under it (handshakes refused meanwhile), and gets commands', async () => {
    tokens.lifetimeS = 4;
    const devices = fleet('redis', 5);
    await waitFor(() => allConnected(devices), { description: 'five devices connected' });
    tokens.lifetimeS = 600;

    // Redis goes away for longer than the devices' tokens live: each device reconnects while the
    // gateway cannot admit a socket (it needs Redis for the per-user quota).
    await redisServer.stop({ hard: true });
    await waitFor(() => devices.every((each) => !each.connection.socket.connected), {
      description: 'every device dropped at its token expiry during the outage',
      timeoutMs: 15_000,
    });
    await redisServer.start();

    await waitFor(() => allConnected(devices), {
      description: 'every device back once Redis is back',
      timeoutMs: 25_000,
    });
    await commandReachesEach(devices, 'after the Redis restart');
  }, 60_000);

  describe('stops, saying why, only when retrying cannot help', () => {
    const quick: ReconnectOptions = { baseDelayMs: 50, maxDelayMs: 200 };

    /** Stopped with `reason`, and no attempt after it (several backoff periods later). */
    async function stoppedFor(each: Device, reason: string): Promise<void> {
      await waitFor(() => each.connection.state.status === 'stopped', {
        description: `the device stopped (${reason})`,
      });
      expect(each.connection.state).toMatchObject({ status: 'stopped', reason });
      const calls = each.tokenCalls;
      const stateCount = each.states.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(each.tokenCalls).toBe(calls);
      expect(each.states).toHaveLength(stateCount);
      expect(each.connection.socket.connected).toBe(false);
    }

    it('when its sessions are revoked', async () => {
      const userId = `officer-revoked-${run}`;
      const unitId = `unit-revoked-${run}`;
      const revoked = device('revoked', {
        token: () => sign(userId, ['officer'], unitId),
        reconnect: quick,
      });
      await waitFor(() => revoked.connection.socket.connected, { description: 'connected' });
      const envelope = createEnvelope({
        type: EventTypes.UserSessionsRevoked,
        agencyId,
        actor: { kind: 'user', id: userId },
        data: { userId, reason: 'logout', revokedAt: new Date().toISOString() },
      });
      await redis.xadd(
        `${prefix}${Streams.DispatchEvents}`,
        '*',
        'envelope',
        JSON.stringify(envelope),
      );
      await stoppedFor(revoked, 'session_revoked');
    });

    it('when the handshake is forbidden (an officer token without a unit)', async () => {
      const forbidden = device('forbidden', {
        token: () => sign(`officer-nounit-${run}`, ['officer']),
        reconnect: quick,
      });
      await stoppedFor(forbidden, 'forbidden');
      expect(forbidden.refusals).toEqual(['forbidden']);
    });

    it('when the token function says the session is over (401), without sending a handshake', async () => {
      const over = device('over', {
        token: () =>
          Promise.reject(
            new GadProblemError({
              type: 'urn:gad:problem:session_ended',
              title: 'session ended',
              status: 401,
              code: 'session_ended',
            }),
          ),
        reconnect: quick,
      });
      await stoppedFor(over, 'credentials_rejected');
      expect(over.tokenCalls).toBe(1);
      expect(over.refusals).toEqual([]);
    });

    it('but keeps trying while the gateway refuses it for a reason that passes (too_many_sockets)', async () => {
      const userId = `officer-twice-${run}`;
      const first = device('twice-1', {
        token: () => sign(userId, ['officer'], `unit-twice-1-${run}`),
      });
      await waitFor(() => first.connection.socket.connected, { description: 'first connected' });
      // The same user's second device: refused while the first holds the user's only socket.
      const second = device('twice-2', {
        token: () => sign(userId, ['officer'], `unit-twice-2-${run}`),
        reconnect: quick,
      });
      await waitFor(() => second.refusals.length >= 3, {
        description: 'the second device refused several times',
      });
      expect(new Set(second.refusals)).toEqual(new Set(['too_many_sockets']));
      expect(second.connection.state.status).not.toBe('stopped');
      first.connection.close();
      await waitFor(() => second.connection.socket.connected, {
        description: 'the second device admitted once the first closed',
      });
      expect(first.connection.state).toMatchObject({ status: 'stopped', reason: 'closed' });
    });
  });
});
