import { redisClientFromUrl } from '@gad/platform';
import {
  startRedisCluster,
  startRedisServer,
  waitFor,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '@gad/testing';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * The guard reads a session's deny-list entry from its memory, kept current by pub/sub, or from
 * Redis (docs/adr/0035); while Redis does not answer, PostgreSQL decides. Against a private
 * redis-server that the test stops, and a private 6-node cluster: a logged-out session's access
 * token stays refused, the user's other session is still served, and on the cluster the user's
 * bucket is in Redis (shared by every instance), not only in the instance's memory.
 */
describe('api-gateway session check while Redis is down', () => {
  let redisServer: RedisServerHandle;
  let gw: IdentityTestApp;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    gw = await IdentityTestApp.start({
      REDIS_URL: redisServer.url,
      REDIS_COMMAND_TIMEOUT_MS: '500',
    });
  }, 60_000);

  afterAll(async () => {
    await redisServer?.start().catch(() => undefined);
    await gw?.close();
    await redisServer?.dispose();
  }, 60_000);

  it('refuses a revoked session from Redis, and from PostgreSQL while Redis is down', async () => {
    const leaving = (await gw.login(ADMIN.username, ADMIN.password)).body;
    const staying = (await gw.login(ADMIN.username, ADMIN.password)).body;
    expect((await gw.send('GET', '/v1/me', { token: leaving.accessToken })).status).toBe(200);
    expect((await gw.send('POST', '/v1/auth/logout', { token: leaving.accessToken })).status).toBe(
      204,
    );

    const revoked = await gw.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: revoked.status, code: revoked.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    expect((await gw.send('GET', '/v1/me', { token: staying.accessToken })).status).toBe(200);

    await redisServer.stop();
    const revokedWithoutRedis = await gw.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: revokedWithoutRedis.status, code: revokedWithoutRedis.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    const served = await gw.send('GET', '/v1/me', { token: staying.accessToken });
    expect(served.status).toBe(200);

    // Redis back: the gateway is ready again before the app closes.
    await redisServer.start();
    await waitFor(async () => (await gw.send('GET', '/health/ready')).status === 200, {
      description: 'api-gateway ready again',
      timeoutMs: 20_000,
    });
  }, 45_000);
});

describe('api-gateway session check on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let gw: IdentityTestApp;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    gw = await IdentityTestApp.start({ REDIS_URL: cluster.url });
  }, 90_000);

  afterAll(async () => {
    await gw?.close();
    await cluster?.stop();
  }, 60_000);

  it('refuses a revoked session and keeps the user rate limit in the cluster', async () => {
    const leaving = (await gw.login(ADMIN.username, ADMIN.password)).body;
    const staying = (await gw.login(ADMIN.username, ADMIN.password)).body;
    expect((await gw.send('POST', '/v1/auth/logout', { token: leaving.accessToken })).status).toBe(
      204,
    );

    const revoked = await gw.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: revoked.status, code: revoked.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    const me = await gw.send<{ id: string }>('GET', '/v1/me', { token: staying.accessToken });
    expect(me.status).toBe(200);

    const redis = redisClientFromUrl(cluster.url, { maxRetriesPerRequest: 20 });
    try {
      const bucket = `${gw.config.REDIS_KEY_PREFIX}rl:user:${ADMIN.agencyId}:${me.body.id}`;
      expect(await redis.exists(bucket)).toBe(1);
    } finally {
      redis.disconnect();
    }
  }, 30_000);
});
