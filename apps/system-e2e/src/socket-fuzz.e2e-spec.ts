import { randomUUID } from 'node:crypto';
import {
  dlqOf,
  isStableErrorCode,
  Namespaces,
  positionFixSchema,
  Streams,
  type Role,
  type SocketError,
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
import { io, type Socket } from 'socket.io-client';

/** Strings PostgreSQL cannot store: NUL and unpaired UTF-16 surrogates (socket.io JSON keeps them). */
const NAUGHTY_TEXT = ['\u0000', '\ud800', '\udfff'];
/** Timestamps and numbers that pass a loose check but not PostgreSQL. */
const BAD_TIMESTAMPS = ['0000-01-01T00:00:00Z', '2026-01-01T12:00:00+23:59'];
const SUBNORMAL = 5e-324;

interface Ack {
  ok: boolean;
  error?: SocketError;
}

/**
 * Naughty payloads on every client event of `/field` and `/dispatch`, sent by real socket.io clients
 * to a real ws-gateway process: each is refused with an error ack carrying a stable code (and an
 * `error` event), and nothing reaches the streams whose consumers would then fail on it
 * (`gad:geo:positions`, `gad:field:acks`) or their dead-letter queues.
 */
describe('ws-gateway under naughty socket payloads', () => {
  const prefix = uniqueRedisPrefix();
  const run = Date.now().toString(36);
  const agencyId = `agency-fz-${run}`;
  const keys = createTestKeyPair();
  let gateway: ServiceProcess;
  let redis: Redis;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gateway = await startServiceProcess({
      app: 'ws-gateway',
      env: {
        REDIS_KEY_PREFIX: prefix,
        JWT_PUBLIC_KEY: keys.publicKeyPem,
        WS_POSITIONS_BATCH_MS: '100',
        WS_RATE_PER_SECOND: '10000',
        WS_RATE_BURST: '10000',
        WS_ABUSE_LIMIT: '1000000',
        INSTANCE_ID: `ws-fz-${run}`,
      },
    });
    redis = new Redis(testStack.redisUrl);
  }, 60_000);

  afterAll(async () => {
    sockets.forEach((socket) => socket.disconnect());
    await gateway?.stop();
    if (redis) {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    }
  }, 30_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      console.log(gateway.tail(40));
    }
  });

  function token(
    userId: string,
    roles: Role[],
    unitId?: string,
    claims: { agencyId?: string } = {},
  ): Promise<string> {
    return signTestAccessToken(keys, {
      userId,
      agencyId: claims.agencyId ?? agencyId,
      roles,
      unitId,
    });
  }

  async function connect(namespace: string, auth: Record<string, unknown>): Promise<Socket> {
    const socket = io(`${gateway.url}${namespace}`, {
      auth,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    await waitFor(() => socket.connected || undefined, { description: `${namespace} connected` });
    return socket;
  }

  function send(socket: Socket, event: string, payload: unknown): Promise<Ack> {
    return socket.timeout(5_000).emitWithAck(event, payload) as Promise<Ack>;
  }

  async function entriesOf(stream: string): Promise<string[]> {
    const entries = await redis.xrange(`${prefix}${stream}`, '-', '+');
    return entries.map(([, fields]) => fields[fields.indexOf('envelope') + 1] ?? '');
  }

  function validFix(unitId: string, seq: number): Record<string, unknown> {
    return {
      unitId,
      position: { type: 'Point', coordinates: [-3.7, 40.4] },
      recordedAt: new Date().toISOString(),
      seq,
      accuracyM: 5,
      deviceId: 'device-1',
    };
  }

  /** The valid fix with one field replaced by each naughty value of its kind. */
  function naughtyFixes(unitId: string): Record<string, unknown>[] {
    const base = validFix(unitId, 1);
    return [
      ...NAUGHTY_TEXT.map((bad) => ({ ...base, deviceId: `device${bad}` })),
      ...NAUGHTY_TEXT.map((bad) => ({ ...base, unitId: `${unitId}${bad}` })),
      ...BAD_TIMESTAMPS.map((recordedAt) => ({ ...base, recordedAt })),
      { ...base, accuracyM: SUBNORMAL },
      { ...base, speedMps: SUBNORMAL },
      { ...base, position: { type: 'Point', coordinates: [SUBNORMAL, 40.4] } },
      // Unknown keys are refused, never stripped: in the fix and in its point.
      { ...base, extra: 1 },
      { ...base, position: { type: 'Point', coordinates: [-3.7, 40.4], extra: 1 } },
    ];
  }

  function expectRefused(event: string, payload: unknown, ack: Ack, errors: SocketError[]): void {
    const seen = { event, payload, ok: ack.ok, code: ack.error?.code };
    expect({ ...seen, stableCode: isStableErrorCode(ack.error?.code) }).toEqual({
      ...seen,
      ok: false,
      stableCode: true,
    });
    expect(errors.some((error) => error.code === ack.error?.code)).toBe(true);
  }

  it('refuses naughty position, positions and command.ack payloads on /field; nothing reaches the streams', async () => {
    const unitId = `unit-${run}`;
    const device = await connect(Namespaces.Field, {
      token: await token(`officer-${run}`, ['officer'], unitId),
    });
    const errors: SocketError[] = [];
    device.on('error', (error: SocketError) => errors.push(error));

    const attempts: { event: string; payload: unknown }[] = [
      ...naughtyFixes(unitId).map((fix) => ({ event: 'position', payload: fix })),
      ...naughtyFixes(unitId).map((fix) => ({ event: 'position', payload: [fix] })),
      ...naughtyFixes(unitId).map((fix) => ({ event: 'positions', payload: { positions: [fix] } })),
      ...NAUGHTY_TEXT.map((bad) => ({
        event: 'command.ack',
        payload: { commandId: randomUUID(), stage: 'declined', reason: `busy${bad}` },
      })),
      ...NAUGHTY_TEXT.map((bad) => ({
        event: `command.ack${bad}`,
        payload: { commandId: randomUUID(), stage: 'seen' },
      })),
      { event: 'resume', payload: { lastSeq: SUBNORMAL } },
    ];
    for (const { event, payload } of attempts) {
      expectRefused(event, payload, await send(device, event, payload), errors);
    }

    // A valid fix afterwards is published: every naughty one before it would have been too.
    expect(await send(device, 'position', validFix(unitId, 2))).toMatchObject({ ok: true });
    const published = await waitFor(
      async () => {
        const entries = await entriesOf(Streams.GeoPositions);
        return entries.length > 0 ? entries : undefined;
      },
      { description: 'the valid fix published' },
    );
    for (const raw of published) {
      const fixes = (JSON.parse(raw) as { data: { positions: unknown[] } }).data.positions;
      for (const fix of fixes) {
        expect(positionFixSchema.safeParse(fix).success).toBe(true);
        expect(fix).toMatchObject({ seq: 2 });
      }
    }
    expect(await entriesOf(Streams.FieldAcks)).toEqual([]);
    for (const stream of [Streams.GeoPositions, Streams.FieldAcks]) {
      expect(await redis.exists(`${prefix}${dlqOf(stream)}`)).toBe(0);
    }
    expect(device.connected).toBe(true);
  });

  /** The handshake's refusal code, or `connected` when it was accepted. */
  function handshake(namespace: string, auth: unknown): Promise<string> {
    const socket = io(`${gateway.url}${namespace}`, {
      auth: auth as Record<string, unknown>,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('no answer'), 5_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve('connected');
      });
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
        clearTimeout(timer);
        resolve(error.data?.code ?? `no code: ${error.message}`);
      });
    });
  }

  it('refuses naughty handshakes on both namespaces with a code naming the problem', async () => {
    const unitId = `unit-hs-${run}`;
    const good = await token(`officer-hs-${run}`, ['officer'], unitId);
    const badSeqs = [-1, 1.5, SUBNORMAL, '1', null, Number.MAX_SAFE_INTEGER + 2];
    const attempts: { namespace: string; auth: unknown; code: string }[] = [
      ...badSeqs.flatMap((seq) => [
        {
          namespace: Namespaces.Field,
          auth: { token: good, lastSeq: seq },
          code: 'invalid_handshake',
        },
        {
          namespace: Namespaces.Field,
          auth: { token: good, lastSeq: 0, lastUserSeq: seq },
          code: 'invalid_handshake',
        },
      ]),
      ...[undefined, '', 42, `${good}\u0000`].map((bad) => ({
        namespace: Namespaces.Field,
        auth: { token: bad, lastSeq: 0 },
        code: 'unauthenticated',
      })),
      { namespace: Namespaces.Field, auth: {}, code: 'unauthenticated' },
    ];
    // Id claims that would name another room, or cannot be a key: refused on both namespaces
    // (text no claim may hold at all makes the token itself invalid: `unauthenticated`).
    const badClaims: [string, string][] = [
      [`:incident:${randomUUID()}`, 'invalid_handshake'],
      ['}', 'invalid_handshake'],
      [' ', 'invalid_handshake'],
      ...NAUGHTY_TEXT.map((bad): [string, string] => [bad, 'unauthenticated']),
    ];
    for (const [bad, code] of badClaims) {
      attempts.push(
        {
          namespace: Namespaces.Dispatch,
          auth: {
            token: await token(`dispatcher-hs-${run}`, ['dispatcher'], undefined, {
              agencyId: `${agencyId}${bad}`,
            }),
          },
          code,
        },
        {
          namespace: Namespaces.Dispatch,
          auth: { token: await token(`dispatcher${bad}`, ['dispatcher']) },
          code,
        },
        {
          namespace: Namespaces.Field,
          auth: { token: await token(`officer-hs-${run}`, ['officer'], `${unitId}${bad}`) },
          code,
        },
      );
    }
    for (const { namespace, auth, code } of attempts) {
      const seen = { namespace, auth, code: await handshake(namespace, auth) };
      expect(seen).toEqual({ namespace, auth, code });
    }
    // The gateway is unaffected: a good handshake connects.
    expect(await handshake(Namespaces.Field, { token: good, lastSeq: 0 })).toBe('connected');
  }, 60_000);

  it('refuses naughty subscribe and unsubscribe payloads on /dispatch with a code', async () => {
    const console_ = await connect(Namespaces.Dispatch, {
      token: await token(`dispatcher-${run}`, ['dispatcher']),
    });
    const errors: SocketError[] = [];
    console_.on('error', (error: SocketError) => errors.push(error));
    for (const event of ['subscribe', 'unsubscribe']) {
      for (const bad of NAUGHTY_TEXT) {
        for (const payload of [
          { kind: 'incident', id: `inc${bad}` },
          { kind: `zone${bad}`, id: 'z1' },
          { kind: 'incident', id: 'i1', [`extra${bad}`]: 1 },
        ]) {
          expectRefused(event, payload, await send(console_, event, payload), errors);
        }
      }
    }
    expect(await send(console_, 'subscribe', { kind: 'incident', id: 'inc-1' })).toMatchObject({
      ok: true,
    });
  });
});
