import { startRedisServer, waitFor, type RedisServerHandle } from '@gad/testing';
import { Redis } from 'ioredis';
import { DispatchTestApp, POINT, type Caller } from './dispatch-test-app';

/**
 * The api-gateway on a private redis-server that the tests stop, start and pause (CLIENT PAUSE
 * holds every command, as a frozen or overloaded Redis does): a 503 asks for a retry and the retry
 * is served; a geo RPC that times out answers problem+json at its deadline and leaves no unhandled
 * rejection (readiness: libs/platform/test/readiness-outage.integration-spec.ts).
 */
describe('api-gateway during a Redis outage', () => {
  const agencyId = 'agency-outage';
  let redisServer: RedisServerHandle;
  let t: DispatchTestApp;
  let dispatcher: Caller;
  let control: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    redisServer = await startRedisServer();
    t = await DispatchTestApp.start({
      REDIS_URL: redisServer.url,
      REDIS_COMMAND_TIMEOUT_MS: '1000',
      RPC_TIMEOUT_MS: '300',
    });
    dispatcher = await t.caller(agencyId, 'dispatcher-1', ['dispatcher']);
    control = new Redis(redisServer.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    control.on('error', () => undefined);
    process.on('unhandledRejection', onUnhandled);
  }, 60_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    control?.disconnect();
    await redisServer?.start().catch(() => undefined);
    await t?.close();
    await redisServer?.dispose();
  }, 60_000);

  /** Holds every client's commands for `ms` (the control connection is paused too). */
  async function pauseRedis(ms: number): Promise<void> {
    if (control.status !== 'ready') {
      await control.connect().catch(() => undefined);
    }
    await control.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  }

  const ready = () => t.send(undefined, 'GET', '/health/ready');

  async function untilReady(): Promise<void> {
    await waitFor(async () => (await ready()).status === 200, {
      description: 'api-gateway ready again',
      timeoutMs: 15_000,
    });
  }

  it('serves the retry of a create that failed with 503 idempotency_unavailable', async () => {
    const key = 'outage-create-1';
    const body = { type: 'robbery', priority: 'P2', location: POINT(-3.7, 40.41) };
    const create = () =>
      t.send<{ id?: string; code?: string }>(dispatcher, 'POST', '/v1/incidents', body, {
        'idempotency-key': key,
      });

    await pauseRedis(8_000);
    const failed = await create();
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('idempotency_unavailable');
    expect(failed.headers.get('retry-after')).toBe('1');

    // Redis answers again: the retry the 503 asked for creates the incident, exactly once.
    await untilReady();
    const retried = await create();
    expect({ status: retried.status, code: retried.body.code }).toEqual({
      status: 201,
      code: undefined,
    });
    const replayed = await create();
    expect(replayed.status).toBe(201);
    expect(replayed.body.id).toBe(retried.body.id);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  }, 60_000);

  it('answers a geo RPC that times out with problem+json 504 and no unhandled rejection', async () => {
    await untilReady();
    unhandled.length = 0;
    const pauseMs = 8_000;
    await pauseRedis(pauseMs);
    const pausedUntil = Date.now() + pauseMs;
    const reply = await t.send<{ code: string; status: number }>(
      dispatcher,
      'GET',
      '/v1/positions?bbox=-3.8,40.3,-3.6,40.5',
    );
    // Answered at the RPC deadline (after the rate limits' own Redis timeouts), not only once
    // Redis lets the request through.
    expect(Date.now()).toBeLessThan(pausedUntil);
    expect(reply.status).toBe(504);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ code: 'upstream_timeout', status: 504 });
    await untilReady();
    // Let any late settlement of the request's promises surface.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled.map(String)).toEqual([]);
  }, 60_000);
});
