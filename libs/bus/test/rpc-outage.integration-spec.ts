import { startRedisServer, uniqueRedisPrefix, type RedisServerHandle } from '@gad/testing';
import { Redis } from 'ioredis';
import { RpcClient, RpcTimeoutError } from '../src';

/**
 * RPC against a private redis-server that holds writes (CLIENT PAUSE WRITE, as a frozen or
 * failing-over Redis does): the request's XADD hangs past the RPC deadline. The caller gets its
 * timeout at the deadline, and no promise is left rejected without a handler (Jest fails a test
 * on an unhandled rejection; a service logs it as `unhandled promise rejection`).
 */
describe('RpcClient while Redis holds the request', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let control: Redis;
  let sut: RpcClient;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { commandTimeout: 5_000 });
    control = new Redis(server.url);
    sut = new RpcClient(redis, {
      redis: server.url,
      prefix: uniqueRedisPrefix(),
      instanceId: 'rpc-outage-test',
    });
  });

  afterAll(async () => {
    await sut?.close();
    redis?.disconnect();
    control?.disconnect();
    await server?.dispose();
  });

  it('rejects at the deadline with RpcTimeoutError and leaves no unhandled rejection', async () => {
    await control.call('CLIENT', 'PAUSE', '3000', 'WRITE');
    const started = Date.now();
    const outcome = await sut
      .request('geo-service', 'geo.positions.bbox', {}, { timeoutMs: 200 })
      .then(
        () => 'answered',
        (error: unknown) => error,
      );
    const waitedMs = Date.now() - started;
    expect(outcome).toBeInstanceOf(RpcTimeoutError);
    // The caller is answered at its deadline, not when Redis lets the request through (3 s).
    expect(waitedMs).toBeLessThan(2_000);
    // Redis lets the request through: nothing settles the call a second time or unhandled.
    await control.ping();
    await new Promise((resolve) => setTimeout(resolve, 100));
  });
});
